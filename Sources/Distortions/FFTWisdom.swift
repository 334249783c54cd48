import CFFTW

/// Fixed FFTW plans for the Fourier distortions' transforms (224 × 224 real-to-complex and complex-to-real, and the
/// spectral Gaussian filter's batched complex lines).
///
/// `FFTW_ESTIMATE` picks a plan by heuristics (deterministic, but its 224 × 224 round trip is about 40 % slower
/// here than the measured best); `FFTW_MEASURE` times candidates, so two processes may pick different plans whose
/// results differ in the last bits. This wisdom pins the plan `FFTW_PATIENT` chose on the development machine
/// (AMD EPYC, AVX2, FFTW 3.3.10), so every process that can use it computes the same bits. Where it does not apply
/// (another FFTW version, a CPU without AVX), `FFTPlan` falls back to `FFTW_ESTIMATE`.
///
/// Made by planning `fftw_plan_dft_r2c(2, {224, 224}, …, FFTW_PATIENT)` and `fftw_plan_dft_c2r(…)` on two
/// distinct `fftw_malloc` buffers of 2 · 224 · 224 doubles (as `FFTPlan` plans), then `fftw_export_wisdom_to_string`.
enum FFTWisdom {
    static let text = """
    (fftw-3.3.10 fftw_wisdom #x458a31c8 #x92381c4c #x4f974889 #xcd46f97e
      (fftw_codelet_t1bv_16_avx 0 #x10048 #x10048 #x0 #x6a78d199 #x4c7da270 #x8a13e262 #x74d79992)
      (fftw_codelet_n1fv_14_avx 0 #x10048 #x10048 #x0 #x53dad648 #xaa2a6cab #x6d450bf1 #x6c544669)
      (fftw_rdft_rank0_register 2 #x11048 #x11048 #x0 #xbbceaf49 #x73d97fa7 #x413eef4b #x2f9e5e99)
      (fftw_codelet_t2fv_16_avx 0 #x10048 #x10048 #x0 #x8b5918fd #x5575f444 #x4de25bef #x30e8d1da)
      (fftw_dft_nop_register 0 #x11048 #x11048 #x0 #x37cac70a #x744f4b31 #x6535b797 #x08c57618)
      (fftw_codelet_hc2cfdftv_16_avx 0 #x11048 #x11048 #x0 #xc88e2012 #x256e972d #x783ebaee #xb2013108)
      (fftw_rdft2_rank_geq2_register 0 #x10048 #x10048 #x0 #x5a126146 #xf3088ede #x62b67ce4 #x15817e17)
      (fftw_rdft2_vrank_geq1_register 0 #x10048 #x10048 #x0 #xa3d44139 #xbdfd2525 #x37cc5ba7 #xefa86859)
      (fftw_dft_nop_register 0 #x10048 #x10048 #x0 #x3f5776ad #xd5efd6a0 #x556e2302 #x69c19f8f)
      (fftw_codelet_r2cbIII_2 2 #x10048 #x10048 #x0 #x457f0a62 #x4fb62228 #xd5db531b #xf24c66c3)
      (fftw_rdft_rank0_register 2 #x10048 #x10048 #x0 #xbbceaf49 #x73d97fa7 #x413eef4b #x2f9e5e99)
      (fftw_dft_buffered_register 1 #x11048 #x11048 #x0 #x89f06762 #x1469de43 #x09669cbf #xda49a81a)
      (fftw_codelet_r2cfII_16 2 #x11048 #x11048 #x0 #xfb324ba9 #x60384ba1 #x2d2d9b69 #xa7823ed9)
      (fftw_codelet_n2bv_14_avx 0 #x10048 #x10048 #x0 #x7b9cb3fc #xf6954781 #x72eeb12f #x9a2e09cc)
      (fftw_dft_r2hc_register 0 #x10048 #x10048 #x0 #x8a687a45 #x0d41b6eb #x9f6ae66d #xd80811aa)
      (fftw_codelet_r2cb_2 2 #x10048 #x10048 #x0 #xbbae71fa #xd2ed5524 #x24abe25b #xa8b033dd)
      (fftw_codelet_n2fv_14_avx 0 #x11048 #x11048 #x0 #xc489da6f #x3b47d7af #x13d5f4ce #xe8bd5264)
      (fftw_codelet_hc2cbdftv_2_avx 0 #x10048 #x10048 #x0 #x0589fd37 #xddb0221c #x5968abaa #x90e65a27)
      (fftw_rdft2_rank_geq2_register 0 #x11048 #x11048 #x0 #x0680714d #x2c0de191 #x0a0c7c13 #x894f44e3)
      (fftw_codelet_r2cf_16 2 #x11048 #x11048 #x0 #x400c45bc #x9322f056 #xaa924938 #x9a713c25)
      (fftw_dft_vrank_geq1_register 0 #x10048 #x10048 #x0 #xb966b2f9 #xaef6d49e #x9124e0ce #xcf7fbc37)
      (fftw_codelet_n1bv_14_avx 0 #x10048 #x10048 #x0 #x03792bb9 #xd4adc4a2 #xc20ff996 #x44b7e92e)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x1646a6ea #x3a6fdd3e #x12642839 #x2242bdcb)
      (fftw_codelet_t2bv_8_avx 0 #x10048 #x10048 #x0 #xa6a1bb00 #x63d83473 #xbddc2296 #x1bdcf0c4)
      (fftw_dft_r2hc_register 0 #x11048 #x11048 #x0 #x375566ab #x7d81aff4 #xe7a6aefc #x206ac0c8)
      (fftw_dft_vrank_geq1_register 0 #x10048 #x10048 #x0 #x5666ca53 #x3f39d85e #x6e78fda2 #x8c7307df)
      (fftw_dft_buffered_register 1 #x10048 #x10048 #x0 #x592f403a #x45e049c1 #x5d56479c #xe2882046)
    )
    """

    /// The batched complex line transforms of the spectral Gaussian filter (`SpectralGaussian`) on 224 × 224
    /// planes: chunks of 16 contiguous lines of length 256, 288 and 384 (low-pass σ 7; 10 and 15; 40; both passes),
    /// forward and backward, made with
    /// `fftw_plan_many_dft(1, {N}, 16, …, FFTW_PATIENT)` on `fftw_malloc` buffers sized as `FFTPlan` sizes them
    /// (Tests/Fixtures/distortions/make_spectral_gaussian_wisdom.c prints it).
    static let linesText = """
    (fftw-3.3.10 fftw_wisdom #x458a31c8 #x92381c4c #x4f974889 #xcd46f97e
      (fftw_codelet_t1fv_3_avx 0 #x11048 #x11048 #x0 #xccf98621 #x4b9e4507 #x7f346bd1 #x797651e5)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x18335a1f #xe31c54cb #xe725e9ef #x24af31fb)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x151ec384 #xdb38e627 #x908e46fd #xceab3126)
      (fftw_codelet_n2bv_12_avx 0 #x11048 #x11048 #x0 #x7e48024b #x45b72e5a #xdfa7252d #xd979a2ff)
      (fftw_codelet_n2fv_12_avx 0 #x11048 #x11048 #x0 #x4df82223 #x4a9371aa #x4377f202 #x4ae19958)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x305c97e5 #xd96fa64c #x6b06d709 #x7ee84937)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x0767b968 #xc57754a0 #x2ae50546 #x2189bf16)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xf9d9934b #x6587b164 #xf2ddbae4 #xa895ca45)
      (fftw_codelet_t3fv_32_avx 0 #x11048 #x11048 #x0 #x01e30d98 #xe17df75b #x214539fb #x312f89a8)
      (fftw_codelet_t2fv_8_avx 0 #x11048 #x11048 #x0 #xcf6061a3 #x568aee5c #x3ed75045 #xd3c2f0a4)
      (fftw_codelet_t2bv_16_avx 0 #x11048 #x11048 #x0 #x2f72d9d1 #x36afab82 #x766ea7c6 #x2dbfd6ce)
      (fftw_codelet_t2fv_8_avx 0 #x11048 #x11048 #x0 #xbe2f1904 #x857655b7 #x04656434 #xaaf6ace9)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x30a66550 #xb1f29419 #x709e065d #x8a1f49c6)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xe8f0e074 #x622333e1 #xf82be837 #x2d11bd11)
      (fftw_codelet_n2bv_12_avx 0 #x11048 #x11048 #x0 #xfaa8f822 #xe2fc9d43 #xf82ad387 #x4cb98934)
      (fftw_codelet_n2fv_32_avx 0 #x11048 #x11048 #x0 #x8c8ebecc #x3271444a #xaebe0761 #xea1e7699)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xd4343e75 #x37ba608b #xcd0d3bb3 #xfbf3dcfb)
      (fftw_codelet_n2fv_12_avx 0 #x11048 #x11048 #x0 #xf18ac3d3 #xb1892971 #x3ea419d5 #x8824033c)
      (fftw_codelet_t2bv_32_avx 0 #x11048 #x11048 #x0 #x3948a603 #x648f78e3 #x8ac6395e #x14fcdc7a)
      (fftw_codelet_t1bv_3_avx 0 #x11048 #x11048 #x0 #xe092a198 #x0d6fe14d #xecdabee3 #x0a708b48)
      (fftw_codelet_n2bv_16_avx 0 #x11048 #x11048 #x0 #xf08261a7 #x3f3e1668 #x6776b57e #xfe915edd)
      (fftw_codelet_t2bv_8_avx 0 #x11048 #x11048 #x0 #xece5ac47 #xbf964b07 #x29d36bbf #x8f257d7e)
    )
    """

    /// The wisdom text that holds the plan of this transform, or nil.
    static func wisdom(kind: FFTPlan.Kind, shape: [Int]) -> String? {
        switch kind {
        case .realForward, .realBackward:
            return shape == [224, 224] ? text : nil
        case .complexLines:
            return shape.count == 2 && shape[0] == 16 && [256, 288, 384].contains(shape[1]) ? linesText : nil
        case .complexForward, .complexBackward:
            return nil
        }
    }
}
