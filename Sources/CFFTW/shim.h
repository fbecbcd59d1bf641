// Single-precision FFTW. <complex.h> is deliberately not included first, so
// fftwf_complex imports into Swift as a (Float, Float) tuple.
#include <fftw3.h>
