// The whole-process C reference: what `eeg bandpower` and `eeg analyze` do on a raw
// float32 file, written as a careful C programmer would with FFTW — read the file in
// large chunks with read(2) into one reused buffer, plan once (FFTW_ESTIMATE, as the
// in-process reference), compute, and write CSV with printf("%.17g") (lossless; C has
// no shortest round-trip formatter). Used by the cref-eeg executable, timed as a whole
// process beside `eeg` (Sources/compare/WholeCommandRows.swift).
#include "cref.h"

#include <errno.h>
#include <fcntl.h>
#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BANDS 5
static const double band_lo[BANDS] = {1, 4, 8, 13, 30}, band_hi[BANDS] = {4, 8, 13, 30, 45};
static const char *band_name[BANDS] = {"delta", "theta", "alpha", "beta", "gamma"};

// Welch with scipy's defaults: periodic Hann, nperseg = 2 s, 50 % overlap, mean removed
// in double, density scaling, one-sided.
typedef struct {
    double fs, df, scale;
    int nperseg, step, bins;
    float *window, *in;
    fftwf_complex *out;
    fftwf_plan plan;
    int first[BANDS], last[BANDS];
} welch_t;

static void welch_init(welch_t *w, double fs) {
    w->fs = fs;
    w->nperseg = (int)lround(2 * fs);
    w->step = w->nperseg - w->nperseg / 2;
    w->bins = w->nperseg / 2 + 1;
    w->in = fftwf_malloc(sizeof(float) * w->nperseg);
    w->out = fftwf_malloc(sizeof(fftwf_complex) * w->bins);
    w->window = malloc(sizeof(float) * w->nperseg);
    w->plan = fftwf_plan_dft_r2c_1d(w->nperseg, w->in, w->out, FFTW_ESTIMATE);
    double wsum = 0;
    for (int i = 0; i < w->nperseg; i++) {
        double v = 0.5 - 0.5 * cos(2 * M_PI * i / w->nperseg);
        w->window[i] = (float)v;
        wsum += v * v;
    }
    w->df = 1.0 / (w->nperseg * (1.0 / fs));
    w->scale = 1.0 / (fs * wsum);
    for (int b = 0; b < BANDS; b++) {
        w->first[b] = w->bins; w->last[b] = 0;
        for (int k = 0; k < w->bins; k++) {
            double f = k * w->df;
            if (f >= band_lo[b] && f < band_hi[b]) { if (k < w->first[b]) w->first[b] = k; w->last[b] = k + 1; }
        }
        if (w->first[b] > w->last[b]) w->first[b] = w->last[b];
    }
}

static void welch_free(welch_t *w) {
    fftwf_destroy_plan(w->plan);
    fftwf_free(w->in);
    fftwf_free(w->out);
    free(w->window);
}

// Adds one segment's |X|^2 (samples `stride` floats apart) to acc.
static void welch_segment(welch_t *w, const float *x, size_t stride, double *acc) {
    const int n = w->nperseg;
    double mean = 0;
    for (int i = 0; i < n; i++) mean += x[i * stride];
    mean /= n;
    for (int i = 0; i < n; i++) w->in[i] = (float)(x[i * stride] - mean) * w->window[i];
    fftwf_execute_dft_r2c(w->plan, w->in, w->out);
    for (int k = 0; k < w->bins; k++) acc[k] += (double)w->out[k][0] * w->out[k][0] + (double)w->out[k][1] * w->out[k][1];
}

// acc (a sum of `segments` periodograms) into the one-sided density, in place.
static void welch_finish(const welch_t *w, double *acc, int segments) {
    const double f = w->scale / segments;
    const int last = w->nperseg % 2 == 0 ? w->bins - 1 : w->bins;
    acc[0] *= f;
    for (int k = 1; k < last; k++) acc[k] *= 2 * f;
    for (int k = last; k < w->bins; k++) acc[k] *= f;
}

static void welch_bands(const welch_t *w, const double *psd, double *powers) {
    for (int b = 0; b < BANDS; b++) {
        double sum = 0;
        for (int k = w->first[b]; k < w->last[b]; k++) sum += psd[k];
        powers[b] = sum * w->df;
    }
}

// The PSD of `frames` samples `stride` apart into psd (bins values).
static void welch_psd(welch_t *w, const float *x, size_t stride, size_t frames, double *psd) {
    const int segments = (int)((frames - (size_t)(w->nperseg - w->step)) / (size_t)w->step);
    memset(psd, 0, sizeof(double) * w->bins);
    for (int s = 0; s < segments; s++) welch_segment(w, x + (size_t)s * w->step * stride, stride, psd);
    welch_finish(w, psd, segments);
}

// Reads whole frames of `frame_bytes` into buf (capacity `max_frames`); 0 at the end,
// -1 on an error or a trailing partial frame.
static long read_frames(int fd, float *buf, size_t max_frames, size_t frame_bytes) {
    char *p = (char *)buf;
    size_t want = max_frames * frame_bytes, got = 0;
    while (got < want) {
        ssize_t n = read(fd, p + got, want - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        got += (size_t)n;
    }
    if (got % frame_bytes) return -1;
    return (long)(got / frame_bytes);
}

// Ratios of the channel means, as EEGKit's BandRatios (NAN when missing).
static void ratios(const double *powers, int channels, double out[4]) {
    double theta = 0, alpha = 0, beta = 0;
    for (int c = 0; c < channels; c++) { theta += powers[c * BANDS + 1]; alpha += powers[c * BANDS + 2]; beta += powers[c * BANDS + 3]; }
    theta /= channels; alpha /= channels; beta /= channels;
    out[0] = alpha + theta > 0 ? beta / (alpha + theta) : NAN;
    out[1] = beta > 0 ? theta / beta : NAN;
    out[2] = beta > 0 ? alpha / beta : NAN;
    out[3] = alpha > 0 ? theta / alpha : NAN;
}

static void put_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, ",%.17g", v); else fputc(',', f);
}

static void bandpower_rows(FILE *f, const char *scope, double start, const double *powers, int channels) {
    double r[4];
    ratios(powers, channels, r);
    for (int c = 0; c < channels; c++) {
        const double *p = powers + c * BANDS;
        double total = 0;
        for (int b = 0; b < BANDS; b++) total += p[b];
        fprintf(f, "%s,", scope);
        if (start >= 0) fprintf(f, "%.17g", start);
        fprintf(f, ",ch%d", c + 1);
        for (int b = 0; b < BANDS; b++) put_number(f, p[b]);
        for (int b = 0; b < BANDS; b++) put_number(f, total > 0 ? p[b] / total : 0);
        for (int i = 0; i < 4; i++) put_number(f, r[i]);
        fputc('\n', f);
    }
}

int cref_bandpower_file(const char *input, int channels, double fs, double epoch_seconds, const char *output) {
    int fd = open(input, O_RDONLY);
    if (fd < 0) return 66;
    welch_t w;
    welch_init(&w, fs);
    const size_t ch = (size_t)channels, epoch = (size_t)lround(epoch_seconds * fs);
    const size_t chunk = epoch > 4096 ? epoch : 4096, capacity = chunk + epoch + (size_t)w.nperseg;
    float *buf = malloc(sizeof(float) * capacity * ch);
    double *sums = calloc(ch * w.bins, sizeof(double)), *psd = malloc(sizeof(double) * w.bins);
    size_t epoch_cap = 1024, epochs = 0;
    double *epoch_powers = malloc(sizeof(double) * epoch_cap * ch * BANDS);
    size_t buf_start = 0, held = 0, total = 0, next_segment = 0, next_epoch = 0;
    int segments = 0, status = 0;
    for (;;) {
        long n = read_frames(fd, buf + held * ch, chunk, ch * sizeof(float));
        if (n < 0) { status = 65; break; }
        if (n == 0) break;
        held += (size_t)n; total += (size_t)n;
        for (; next_segment + w.nperseg <= total; next_segment += w.step, segments++)
            for (size_t c = 0; c < ch; c++) welch_segment(&w, buf + (next_segment - buf_start) * ch + c, ch, sums + c * w.bins);
        for (; next_epoch + epoch <= total; next_epoch += epoch, epochs++) {
            if (epochs == epoch_cap) { epoch_cap *= 2; epoch_powers = realloc(epoch_powers, sizeof(double) * epoch_cap * ch * BANDS); }
            for (size_t c = 0; c < ch; c++) {
                welch_psd(&w, buf + (next_epoch - buf_start) * ch + c, ch, epoch, psd);
                welch_bands(&w, psd, epoch_powers + (epochs * ch + c) * BANDS);
            }
        }
        size_t keep = next_segment < next_epoch ? next_segment : next_epoch;
        if (keep > total) keep = total;
        memmove(buf, buf + (keep - buf_start) * ch, sizeof(float) * (total - keep) * ch);
        held = total - keep; buf_start = keep;
    }
    close(fd);
    FILE *f = status == 0 && segments > 0 ? fopen(output, "w") : NULL;
    if (f) {
        static char out_buffer[1 << 16];
        setvbuf(f, out_buffer, _IOFBF, sizeof out_buffer);
        fputs("scope,start_s,channel", f);
        for (int b = 0; b < BANDS; b++) fprintf(f, ",%s", band_name[b]);
        for (int b = 0; b < BANDS; b++) fprintf(f, ",%s_relative", band_name[b]);
        fputs(",engagement,theta_beta,relaxation,workload\n", f);
        double *whole = malloc(sizeof(double) * ch * BANDS);
        for (size_t c = 0; c < ch; c++) {
            welch_finish(&w, sums + c * w.bins, segments);
            welch_bands(&w, sums + c * w.bins, whole + c * BANDS);
        }
        bandpower_rows(f, "whole", -1, whole, channels);
        for (size_t e = 0; e < epochs; e++) bandpower_rows(f, "epoch", (double)(e * epoch) / fs, epoch_powers + e * ch * BANDS, channels);
        free(whole);
        if (fclose(f) != 0) status = 74;
    } else if (status == 0) {
        status = segments > 0 ? 73 : 65;
    }
    free(buf); free(sums); free(psd); free(epoch_powers);
    welch_free(&w);
    return status;
}

// ---- analyze: epochs with quality, ratios and calibrated scores (no filter: analyze's default)

enum { FLAT = 1, RAILED = 2, ARTIFACT = 4, LINE_NOISE = 8 };

typedef struct {
    size_t index;
    double start, ratio[4];
    int rejected;
    double *powers;          // channels x BANDS
    unsigned char *flags;    // per channel
} epoch_t;

typedef struct { int count; double mean, m2; } welford_t;

static void welford_add(welford_t *a, double v) {
    if (!(v > 0) || !isfinite(v)) return;
    double x = log(v), d = x - a->mean;
    a->count++;
    a->mean += d / a->count;
    a->m2 += d * (x - a->mean);
}

// 100·Φ((ln v − mean)/sd) against the baseline, NAN when there is none.
static double welford_score(const welford_t *a, double v) {
    if (a->count < 2 || !(v > 0) || !isfinite(v)) return NAN;
    double sd = sqrt(a->m2 / (a->count - 1));
    if (!(sd > 0)) return NAN;
    return 100 * 0.5 * erfc(-((log(v) - a->mean) / sd) / sqrt(2.0));
}

// Signal quality of one channel of an epoch, EEGKit's rules without a filter: flat and
// railed on the raw samples, artifacts around the least-squares line, line noise from the PSD.
static unsigned char quality(const welch_t *w, const float *x, size_t stride, size_t n, const double *psd, float *detrended) {
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    size_t railed = 0, artifacts = 0;
    const double rail = 0.95 * 187500;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
        if (fabs(v) >= rail) railed++;
    }
    const double mean = sum / n, centre = (n - 1) / 2.0;
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) { double t = i - centre; sxy += t * x[i * stride]; sxx += t * t; }
    const double slope = sxx > 0 ? sxy / sxx : 0;
    double dsum = 0;
    for (size_t i = 0; i < n; i++) { detrended[i] = (float)(x[i * stride] - (mean + slope * (i - centre))); dsum += detrended[i]; }
    const double dmean = dsum / n;
    for (size_t i = 0; i < n; i++) if (fabs(detrended[i] - dmean) > 100) artifacts++;
    double line = 0, broad = 0;
    const double nyquist = w->fs / 2, top = nyquist < 100 ? nyquist : 100;
    for (int k = 0; k < w->bins; k++) {
        double f = k * w->df;
        if (f >= 1 && f <= top) broad += psd[k];
        if (f >= 48 && f <= 52) line += psd[k];
    }
    unsigned char flags = 0;
    if (hi - lo < 1) flags |= FLAT;
    if ((double)railed / n > 0.01) flags |= RAILED;
    if ((double)artifacts / n > 0.01) flags |= ARTIFACT;
    if (52 <= nyquist && broad > 0 && line / broad > 0.5) flags |= LINE_NOISE;
    return flags;
}

static const char *quality_word(unsigned char q) {
    return q & FLAT ? "flat" : q & RAILED ? "railed" : q & ARTIFACT ? "artifact" : q & LINE_NOISE ? "line-noise" : "good";
}

static void analyze_row(FILE *f, const char *path, const epoch_t *e, int channels, const welford_t base[3]) {
    fprintf(f, "%s,%zu,%.17g,%s,", path, e->index, e->start, e->rejected ? "rejected" : "ok");
    const char *what[3] = {"flat", "railed", "artifact"};
    int any = 0;
    for (int c = 0; c < channels; c++)
        for (int k = 0; k < 3; k++)
            if (e->flags[c] & (1 << k)) { fprintf(f, "%sch%d %s", any ? "; " : "", c + 1, what[k]); any = 1; }
    for (int i = 0; i < 4; i++) put_number(f, e->ratio[i]);
    fputc(',', f);  // asymmetry: no --pair
    put_number(f, welford_score(&base[0], e->ratio[0]));
    put_number(f, welford_score(&base[1], e->ratio[2]));
    put_number(f, welford_score(&base[2], e->ratio[3]));
    fputc(',', f);  // annotations: none in float32
    for (int c = 0; c < channels; c++) {
        for (int b = 0; b < BANDS; b++) put_number(f, e->powers[c * BANDS + b]);
        fprintf(f, ",%s", quality_word(e->flags[c]));
    }
    fputc('\n', f);
}

static void analyze_header(FILE *f, int channels) {
    fputs("file,epoch,start_s,status,reasons,engagement,theta_beta,relaxation,workload,asymmetry,attention,relaxation_score,workload_score,annotations", f);
    for (int c = 0; c < channels; c++) {
        for (int b = 0; b < BANDS; b++) fprintf(f, ",ch%d_%s", c + 1, band_name[b]);
        fprintf(f, ",ch%d_quality", c + 1);
    }
    fputc('\n', f);
}

static void epoch_compute(welch_t *w, const float *x, size_t channels, size_t n, double *psd, float *scratch, epoch_t *e) {
    e->rejected = 0;
    for (size_t c = 0; c < channels; c++) {
        welch_psd(w, x + c, channels, n, psd);
        welch_bands(w, psd, e->powers + c * BANDS);
        e->flags[c] = quality(w, x + c, channels, n, psd, scratch);
        if (e->flags[c] & (FLAT | RAILED | ARTIFACT)) e->rejected = 1;
    }
    ratios(e->powers, (int)channels, e->ratio);
}

int cref_analyze_file(const char *input, int channels, double fs, const char *output) {
    int fd = open(input, O_RDONLY);
    if (fd < 0) return 66;
    FILE *f = fopen(output, "w");
    if (!f) { close(fd); return 73; }
    static char out_buffer[1 << 16];
    setvbuf(f, out_buffer, _IOFBF, sizeof out_buffer);
    welch_t w;
    welch_init(&w, fs);
    const size_t ch = (size_t)channels, epoch = (size_t)lround(4 * fs);
    const size_t held_max = (size_t)(60 / 4) + 1;
    float *buf = malloc(sizeof(float) * epoch * ch), *scratch = malloc(sizeof(float) * epoch);
    double *psd = malloc(sizeof(double) * w.bins);
    epoch_t *held = calloc(held_max + 1, sizeof(epoch_t));  // the calibration epochs, then one spare
    for (size_t i = 0; i <= held_max; i++) { held[i].powers = malloc(sizeof(double) * ch * BANDS); held[i].flags = malloc(ch); }
    welford_t base[3] = {{0}};
    size_t waiting = 0, index = 0;
    int settled = 0, status = 0;
    analyze_header(f, channels);
    for (;; index++) {
        long n = read_frames(fd, buf, epoch, ch * sizeof(float));
        if (n < 0) { status = 65; break; }
        if ((size_t)n < epoch) break;  // a final partial epoch is not analysed
        epoch_t *e = &held[settled ? held_max : waiting];
        e->index = index;
        e->start = (double)(index * epoch) / fs;
        epoch_compute(&w, buf, ch, epoch, psd, scratch, e);
        if (!settled && waiting < held_max && e->start + epoch / fs <= 60) {
            if (!e->rejected) { welford_add(&base[0], e->ratio[0]); welford_add(&base[1], e->ratio[2]); welford_add(&base[2], e->ratio[3]); }
            waiting++;
            continue;
        }
        if (!settled) {
            for (size_t i = 0; i < waiting; i++) analyze_row(f, input, &held[i], channels, base);
            settled = 1;
        }
        analyze_row(f, input, e, channels, base);
    }
    if (!settled) for (size_t i = 0; i < waiting; i++) analyze_row(f, input, &held[i], channels, base);
    close(fd);
    if (fclose(f) != 0 && status == 0) status = 74;
    free(buf); free(scratch); free(psd);
    for (size_t i = 0; i <= held_max; i++) { free(held[i].powers); free(held[i].flags); }
    free(held);
    welch_free(&w);
    return status;
}
