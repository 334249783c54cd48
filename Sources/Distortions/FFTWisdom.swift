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
    /// planes: chunks of 16 lines of length 256, 288 and 384 (low-pass σ 7; 10 and 15; 40), pass 1 from rows 112
    /// complex values apart to a compact chunk (and back), pass 2 contiguous lines, forward and backward, made with
    /// `fftw_plan_many_dft(1, {N}, 16, …, FFTW_PATIENT)` on `fftw_malloc` buffers sized as `FFTPlan` sizes them
    /// (Tests/Fixtures/distortions/make_spectral_gaussian_wisdom.c prints it).
    static let linesText = """
    (fftw-3.3.10 fftw_wisdom #x458a31c8 #x92381c4c #x4f974889 #xcd46f97e
      (fftw_codelet_t1bv_6_avx 0 #x11048 #x11048 #x0 #xece5ac47 #xbf964b07 #x29d36bbf #x8f257d7e)
      (fftw_codelet_t1fv_12_avx 0 #x11048 #x11048 #x0 #x01e30d98 #xe17df75b #x214539fb #x312f89a8)
      (fftw_codelet_t1fuv_6_avx 0 #x11048 #x11048 #x0 #xe93cdc53 #xd63e978d #x71867c64 #xf555f3e0)
      (fftw_codelet_n2bv_12_avx 0 #x11048 #x11048 #x0 #xee0de333 #x289fefa4 #x1b1a69af #x40b3b905)
      (fftw_codelet_t2fv_32_avx 0 #x11048 #x11048 #x0 #xcf6061a3 #x568aee5c #x3ed75045 #xd3c2f0a4)
      (fftw_codelet_t1fuv_3_avx 0 #x11048 #x11048 #x0 #x4ec82ab7 #x935f1398 #x5082cb42 #x32ef028d)
      (fftw_codelet_t1buv_9_avx 0 #x11048 #x11048 #x0 #xa11aba4f #xe0f44752 #x57b0a612 #x87e75d50)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xd4343e75 #x37ba608b #xcd0d3bb3 #xfbf3dcfb)
      (fftw_codelet_n1fv_32_avx 0 #x11048 #x11048 #x0 #xa155e5f7 #xecae560d #xe10af15c #x088c1e17)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xee86fc60 #x89ecb8ce #x896b9b1f #xc173f03d)
      (fftw_codelet_n2bv_32_avx 0 #x11048 #x11048 #x0 #x2a56bec1 #xe578eba1 #x7d0b23c0 #x8cb94d10)
      (fftw_codelet_t3fv_8_avx 0 #x11048 #x11048 #x0 #xbe2f1904 #x857655b7 #x04656434 #xaaf6ace9)
      (fftw_codelet_n1fv_64_avx 0 #x11048 #x11048 #x0 #xdb9fd55c #xc09a021a #xd2a1cc86 #x5c40170e)
      (fftw_codelet_t1fuv_4_avx 0 #x11048 #x11048 #x0 #xdda79400 #x877c5d73 #x6a4b2701 #x4401c566)
      (fftw_codelet_n1bv_128_avx 0 #x11048 #x11048 #x0 #x5c36208d #xbc57b501 #xb46f2ea0 #xf69ffa8d)
      (fftw_codelet_t1bv_12_avx 0 #x11048 #x11048 #x0 #x3948a603 #x648f78e3 #x8ac6395e #x14fcdc7a)
      (fftw_codelet_t2bv_32_avx 0 #x11048 #x11048 #x0 #x22d1609a #x6e67ff4f #x0f612de2 #x700cc049)
      (fftw_codelet_t2bv_4_avx 0 #x11048 #x11048 #x0 #xb472900c #x21a4fb85 #xfe9b38fe #x31de050a)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xe8f0e074 #x622333e1 #xf82be837 #x2d11bd11)
      (fftw_codelet_n2fv_32_avx 0 #x11048 #x11048 #x0 #xe6f2e2e9 #xbeaf12a1 #xb83ad389 #x482d3260)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xb6a25e74 #x62738500 #x98a535eb #x4a672e45)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x4b4eb534 #x05c3005c #xdbfd1ab4 #x287eecf9)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xc3734270 #x0b30de29 #xe71115f2 #xd05895f4)
      (fftw_codelet_t1fuv_4_avx 0 #x11048 #x11048 #x0 #x80603e67 #x1b09d512 #x4e9e6ae2 #xc7ddf80d)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x311987ac #x49f193de #x4d8b33bd #x4f4bc2ea)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x2f72d9d1 #x36afab82 #x766ea7c6 #x2dbfd6ce)
      (fftw_codelet_t1buv_2_avx 0 #x11048 #x11048 #x0 #x54902e9e #xa13a9c6b #x013f893d #x3f08fa09)
      (fftw_codelet_n2bv_8_avx 0 #x11048 #x11048 #x0 #xb32712c5 #xde8516e7 #x1d1a0705 #x538cd40b)
      (fftw_codelet_n1bv_32_avx 0 #x11048 #x11048 #x0 #xdf47cff3 #x43d197fe #x37e07ba2 #xef9f7ff9)
      (fftw_codelet_t1fuv_4_avx 0 #x11048 #x11048 #x0 #x1fa80b3e #xaa0ced10 #xc54e937c #xa2156e3b)
      (fftw_codelet_n1fv_12_avx 0 #x11048 #x11048 #x0 #x7f14e45a #xa05616fd #x5f4ae471 #x523f126b)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x9fbd8ae4 #xa9cc0234 #xcd43135d #x94e4e721)
      (fftw_codelet_n2fv_12_avx 0 #x11048 #x11048 #x0 #x4df82223 #x4a9371aa #x4377f202 #x4ae19958)
      (fftw_codelet_t1fv_3_avx 0 #x11048 #x11048 #x0 #xccf98621 #x4b9e4507 #x7f346bd1 #x797651e5)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x3a5d626e #x8e01255d #x72775f8d #x98901bfb)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x5722783c #x27ad6c5e #x29377db3 #x132e8d1b)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x18335a1f #xe31c54cb #xe725e9ef #x24af31fb)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x305c97e5 #xd96fa64c #x6b06d709 #x7ee84937)
      (fftw_codelet_n2fv_8_avx 0 #x11048 #x11048 #x0 #xc70e68af #x2885b791 #xd8a71373 #x2a562113)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x4d25e4fb #xa7f3547e #x085d02f9 #xc937bfa5)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x53ffb690 #x42b5052a #x25867262 #xd6c9ffb6)
      (fftw_codelet_t1buv_6_avx 0 #x11048 #x11048 #x0 #x12cb1e72 #xc583b305 #x4a14ea6f #x5820bc74)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xb8f5bbcb #xb1f4b7f3 #xe1cbde3a #x64167a52)
      (fftw_codelet_n1bv_64_avx 0 #x11048 #x11048 #x0 #x90eafab8 #x83799a7b #xfeec0acf #x74d82b3e)
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
