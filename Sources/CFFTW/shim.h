// Single-precision FFTW. <complex.h> is deliberately not included first, so
// fftwf_complex imports into Swift as a (Float, Float) tuple.
#include <fftw3.h>

// fftwf_version is an array of unknown size, which Swift does not import; this returns it.
static inline const char *eegkit_fftwf_version(void) { return fftwf_version; }
