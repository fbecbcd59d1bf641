#include "cref.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double cref_bandpower_run(const float *samples, int channels, size_t frames, double fs) {
    const int nperseg = (int)lround(2 * fs);
    const int step = nperseg / 2;
    const size_t epoch = (size_t)lround(4 * fs);
    const int bins = nperseg / 2 + 1;
    const int segments = (int)((epoch - (size_t)(nperseg - step)) / (size_t)step);
    const double lo[5] = {1, 4, 8, 13, 30}, hi[5] = {4, 8, 13, 30, 45};

    float *in = fftwf_malloc(sizeof(float) * nperseg);
    fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * bins);
    float *window = malloc(sizeof(float) * nperseg);
    double *acc = malloc(sizeof(double) * bins);
    fftwf_plan plan = fftwf_plan_dft_r2c_1d(nperseg, in, out, FFTW_ESTIMATE);

    double wsum = 0;
    for (int i = 0; i < nperseg; i++) {
        double w = 0.5 - 0.5 * cos(2 * M_PI * i / nperseg);
        window[i] = (float)w;
        wsum += w * w;
    }
    const double df = fs / nperseg;
    const double scale = 1.0 / (fs * wsum) / segments;
    int first[5], last[5];
    for (int b = 0; b < 5; b++) {
        first[b] = bins; last[b] = 0;
        for (int k = 0; k < bins; k++) {
            double f = k * df;
            if (f >= lo[b] && f < hi[b]) { if (k < first[b]) first[b] = k; last[b] = k + 1; }
        }
    }

    double checksum = 0;
    for (int c = 0; c < channels; c++) {
        const float *channel = samples + (size_t)c * frames;
        for (size_t e = 0; e + epoch <= frames; e += epoch) {
            memset(acc, 0, sizeof(double) * bins);
            for (int s = 0; s < segments; s++) {
                const float *x = channel + e + (size_t)s * step;
                double mean = 0;
                for (int i = 0; i < nperseg; i++) mean += x[i];
                mean /= nperseg;
                for (int i = 0; i < nperseg; i++) in[i] = (float)(x[i] - mean) * window[i];
                fftwf_execute_dft_r2c(plan, in, out);
                for (int k = 0; k < bins; k++) acc[k] += (double)out[k][0] * out[k][0] + (double)out[k][1] * out[k][1];
            }
            for (int b = 0; b < 5; b++) {
                double sum = 0;
                for (int k = first[b]; k < last[b]; k++) sum += acc[k];  /* bands never include DC or Nyquist */
                checksum += 2 * sum * scale * df;
            }
        }
    }
    fftwf_destroy_plan(plan);
    fftwf_free(in);
    fftwf_free(out);
    free(window);
    free(acc);
    return checksum;
}
