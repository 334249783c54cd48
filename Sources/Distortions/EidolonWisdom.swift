/// FFTW wisdom for `EidolonBlur.Plans` (fftw 3.3.10 with AVX codelets, x86-64), made with FFTW_PATIENT by
/// Tests/Fixtures/eidolon/make_fftw_wisdom.c. Importing it gives the same plans on every run — deterministic bits,
/// unlike FFTW_MEASURE — and about 1.6 times faster transforms than FFTW_ESTIMATE. Where it does not apply (another
/// FFTW build or CPU) the plans fall back to FFTW_ESTIMATE. Regenerate it after an FFTW upgrade.
enum EidolonWisdom {
    static let text = """
    (fftw-3.3.10 fftw_wisdom #x458a31c8 #x92381c4c #x4f974889 #xcd46f97e
      (fftw_codelet_hc2cfdftv_16_avx 0 #x11048 #x11048 #x0 #xe2273a83 #xf092557e #x840a42ef #xaed044c1)
      (fftw_dft_buffered_register 1 #x11048 #x11048 #x0 #x35d8b2cb #x4edc92e3 #x95a37023 #x429b88c1)
      (fftw_codelet_t2fv_16_avx 0 #x11048 #x11048 #x0 #x6e800d78 #x430422a3 #x85efad29 #xc12c36a9)
      (fftw_codelet_hc2cbdftv_2_avx 0 #x10048 #x10048 #x0 #x3be2c4ad #x3ee69570 #xfc919653 #x5075e332)
      (fftw_rdft_rank0_register 1 #x11048 #x11048 #x0 #x2b852d67 #xd5391645 #x0cb1099e #xb2d593ed)
      (fftw_codelet_t1bv_16_avx 0 #x11048 #x11048 #x0 #xc069a6e5 #xf5e455ef #xba333b07 #x4282ba2e)
      (fftw_codelet_n2fv_32_avx 0 #x11048 #x11048 #x0 #x8c8ebecc #x3271444a #xaebe0761 #xea1e7699)
      (fftw_dft_nop_register 0 #x11048 #x11048 #x0 #x5ed8e90c #xad12180c #x8a65dccd #xd3a1c885)
      (fftw_dft_r2hc_register 0 #x11048 #x11048 #x0 #xf6e3a771 #xb30e7df8 #xf584b0b3 #x29ce9ecb)
      (fftw_dft_vrank_geq1_register 0 #x10048 #x10048 #x0 #x0e799dd8 #x365e29eb #x08cc8b56 #xd47507aa)
      (fftw_codelet_r2cb_2 2 #x10048 #x10048 #x0 #xa0eeac83 #xffa79a3c #xb7272c8d #x7cde7ea0)
      (fftw_codelet_n2fv_32_avx 0 #x10048 #x10048 #x0 #xe0c69825 #xb64a0a6c #x705417d5 #xdd460cf5)
      (fftw_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x7bbc2d60 #x696e2e45 #x89957b06 #x45968afd)
      (fftw_codelet_r2cbIII_2 2 #x10048 #x10048 #x0 #xccf5caf4 #x6cb88627 #xa4b724f7 #xb42c28be)
      (fftw_dft_vrank_geq1_register 0 #x10048 #x10048 #x0 #x7621c944 #x66b0a547 #xf13b7e04 #x7b386118)
      (fftw_dft_buffered_register 1 #x11048 #x11048 #x0 #x0ba5c70b #x30d07f0f #x21e115a1 #xf7575599)
      (fftw_dft_nop_register 0 #x11048 #x11048 #x0 #x39e209d0 #x8f11773f #xd7febf6e #xac2fc55b)
      (fftw_codelet_r2cf_16 2 #x11048 #x11048 #x0 #x73f6cc8d #x289d0ee1 #x03b26266 #xec3aec3c)
      (fftw_codelet_r2cfII_16 2 #x11048 #x11048 #x0 #x539a5b9d #x0f3a4479 #x9a68fcfc #x4d64681c)
      (fftw_codelet_n2bv_8_avx 0 #x10048 #x10048 #x0 #xb32712c5 #xde8516e7 #x1d1a0705 #x538cd40b)
      (fftw_codelet_hc2cbdftv_2_avx 0 #x10048 #x10048 #x0 #xf90bc71a #x31b3bdd2 #xe9efc2f6 #xa9e36adb)
      (fftw_dft_r2hc_register 0 #x11048 #x11048 #x0 #xc0e7cf73 #xd70d7b94 #x131de708 #x9a29bf33)
      (fftw_codelet_n2bv_32_avx 0 #x10048 #x10048 #x0 #x52af41a5 #xe3e0b216 #x62f89a5b #x43dda62a)
      (fftw_codelet_t2bv_32_avx 0 #x10048 #x10048 #x0 #x22d1609a #x6e67ff4f #x0f612de2 #x700cc049)
    )
    """
}
