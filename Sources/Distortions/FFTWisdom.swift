import CFFTW

/// Fixed FFTW plans for the Fourier distortions' transforms (224 × 224 real-to-complex and complex-to-real).
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

    /// The batched row transforms of the spectral Gaussian filter (`SpectralGaussian`) on 224 × 224 planes: chunks
    /// of 16 lines of length 256, 288 and 384 (low-pass σ 7; 10 and 15; 40), real → half complex and back, made
    /// the same way with `fftw_plan_many_dft_r2c/c2r(1, {N}, 16, …, FFTW_PATIENT)` (rows N and N/2 + 1 apart).
    static let rowsText = """
    (fftw-3.3.10 fftw_wisdom #x458a31c8 #x92381c4c #x4f974889 #xcd46f97e
      (fftw_codelet_r2cb_2 2 #x10048 #x10048 #x0 #x49b645d2 #xe5acc66e #x721e6e77 #xa5abdf3f)
      (fftw_codelet_n2fv_32_avx 0 #x11048 #x11048 #x0 #xc9e79e39 #x0d6d8b01 #x5cb53305 #x989a35a9)
      (fftw_codelet_t2bv_4_avx 0 #x10048 #x10048 #x0 #x669201c4 #xf84cd538 #x27abeb26 #x117e446f)
      (fftw_codelet_r2cfII_12 2 #x11048 #x11048 #x0 #x1196cf2a #x0d096a6f #xd73fcdcc #xa25c7d75)
      (fftw_codelet_n2bv_32_avx 0 #x10048 #x10048 #x0 #x1e5c4a57 #x3c06fa4a #xc80d4e30 #x9b1a6ad6)
      (fftw_codelet_hc2cbdftv_2_avx 0 #x10048 #x10048 #x0 #x7d4b45c9 #x2b09a06e #xd59c4a2c #x6101b406)
      (fftw_codelet_hc2cfdftv_2_avx 0 #x11048 #x11048 #x0 #x620ef991 #x637bbd7c #x6adb1df2 #x07ed0df9)
      (fftw_codelet_r2cf_12 2 #x11048 #x11048 #x0 #xd40b6f23 #x16d661ed #xc26fe9c2 #x61b97b25)
      (fftw_rdft2_vrank_geq1_register 0 #x10048 #x10048 #x0 #x3ede6a83 #x18900718 #x8b89105d #x611609be)
      (fftw_rdft2_vrank_geq1_register 0 #x10048 #x10048 #x0 #x0c1cb48b #x0ce4d224 #xcf932f27 #x42f30498)
      (fftw_codelet_r2cb_2 2 #x10048 #x10048 #x0 #xfe43a9af #xf5b5cc3a #x76adcd9d #x6535f611)
      (fftw_rdft2_vrank_geq1_register 0 #x11048 #x11048 #x0 #xbf2498f0 #xc1def037 #xf2725e3b #xd5cdbd0b)
      (fftw_codelet_hc2cbdftv_2_avx 0 #x10048 #x10048 #x0 #x69350234 #x73a74493 #x2688d550 #x4544fb2b)
      (fftw_codelet_r2cbIII_2 2 #x10048 #x10048 #x0 #xb4faf574 #x68d468d2 #x1ee03ee3 #x0ef9737c)
      (fftw_codelet_r2cfII_8 2 #x11048 #x11048 #x0 #x2f92c851 #xc581d4b4 #xe3f8f260 #x7303bcc3)
      (fftw_codelet_t2bv_16_avx 0 #x10048 #x10048 #x0 #x3ffd2591 #x490ddee1 #xd32f100a #x058ca10e)
      (fftw_codelet_n2bv_12_avx 0 #x10048 #x10048 #x0 #x0f61c76c #xd750d64d #x425f0076 #xa6827e9a)
      (fftw_codelet_t1fv_12_avx 0 #x11048 #x11048 #x0 #xe8d5fe1d #x0f2f6872 #xfc476cbd #xc036a057)
      (fftw_rdft2_vrank_geq1_register 0 #x11048 #x11048 #x0 #xf3516bdf #xc4393577 #x46797c8d #x03e95d03)
      (fftw_codelet_hc2cfdftv_8_avx 0 #x11048 #x11048 #x0 #xfee68690 #xad28e91e #x220cee4d #x14ded02f)
      (fftw_codelet_r2cf_2 2 #x11048 #x11048 #x0 #xfbc278fa #xc7db35d7 #x889e01b9 #xbf040e47)
      (fftw_codelet_n2fv_12_avx 0 #x11048 #x11048 #x0 #x903c36d8 #xa9df9bc3 #x5630dbd4 #x9320e409)
      (fftw_codelet_hc2cbdftv_2_avx 0 #x10048 #x10048 #x0 #xa4bf87c8 #x2b2c7cfe #x9edab9bc #x75558b0c)
      (fftw_codelet_r2cbIII_2 2 #x10048 #x10048 #x0 #x292250bb #xb98fbec8 #x7aaebe5b #xe89f9bcc)
      (fftw_rdft2_vrank_geq1_register 0 #x10048 #x10048 #x0 #x5915f49d #x160c3807 #xaf933a68 #xa1909ea7)
      (fftw_codelet_r2cf_8 2 #x11048 #x11048 #x0 #xb1d1df08 #x3f3c5105 #xcd56a2f0 #x433a6518)
      (fftw_codelet_n2fv_32_avx 0 #x11048 #x11048 #x0 #xe4f1eca0 #xf6127fbd #x4a1f12ad #xd334caed)
      (fftw_codelet_r2cfII_2 2 #x11048 #x11048 #x0 #xc19fa6a2 #x4814b146 #xf35b8d8f #x2bff50aa)
      (fftw_codelet_t1bv_12_avx 0 #x10048 #x10048 #x0 #x69f3e5c6 #xf21fd35a #xc03ae00d #xacda68d7)
      (fftw_codelet_hc2cfdftv_12_avx 0 #x11048 #x11048 #x0 #xb9905de0 #xbb3495ff #x6bc8a6af #x0e868295)
      (fftw_codelet_n2bv_12_avx 0 #x10048 #x10048 #x0 #x5c5f6e37 #x9363306c #xaa71a037 #xffa8bdcb)
      (fftw_codelet_r2cb_2 2 #x10048 #x10048 #x0 #x78428193 #xc479a196 #xe666e118 #x43f22806)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #xbeef97af #xa793e603 #x0f50eb59 #xdd168401)
      (fftw_codelet_r2cbIII_2 2 #x10048 #x10048 #x0 #x139ffdeb #xa15ce870 #x4b77b6db #xdd0709e3)
    )
    """

    /// The wisdom text that holds the plan of this transform, or nil.
    static func wisdom(kind: FFTPlan.Kind, shape: [Int]) -> String? {
        switch kind {
        case .realForward, .realBackward:
            return shape == [224, 224] ? text : nil
        case .realForwardRows, .realBackwardRows:
            return [[16, 256], [16, 288], [16, 384]].contains(shape) ? rowsText : nil
        case .complexForward, .complexBackward:
            return nil
        }
    }
}
