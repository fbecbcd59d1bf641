// Reference implementations in C, compiled with -O3, that EEGKit's Swift code is
// measured against in the same process (see Sources/compare).
#ifndef CREF_H
#define CREF_H
#include <stddef.h>
#include <stdint.h>

// A single-producer/single-consumer frame ring with the same semantics as
// EEGCore.FrameRing: power-of-two capacity, frames of `channels` floats plus an
// int64 sample index, batch push that accepts a prefix and counts the rest as
// drops (attributed to the next accepted frame), head and tail on separate
// 128-byte lines, each side caching the other's index, acquire/release ordering,
// and the same relaxed "is the consumer asleep?" peek after each publish.
typedef struct cref_ring cref_ring;

cref_ring *cref_ring_create(int channels, size_t capacity);
void cref_ring_destroy(cref_ring *ring);
size_t cref_ring_push(cref_ring *ring, const float *samples, int64_t first_index, size_t frames);
size_t cref_ring_pop(cref_ring *ring, float *samples, int64_t *indices, uint32_t *dropped, size_t max_frames);

// Whole workloads, so no Swift-to-C call sits inside the measured loop.
// One thread: push `batch` frames, pop them, until `total_frames` have passed.
// Returns a checksum of what was popped (so the work cannot be optimised away).
double cref_ring_run_one_thread(int channels, size_t capacity, size_t batch, size_t total_frames);
// Two threads: a producer pushing batches of `batch` (waiting for room, never
// dropping) and a consumer popping up to `batch` at a time.
double cref_ring_run_two_threads(int channels, size_t capacity, size_t batch, size_t total_frames);

// The DSP benchmark task, as a careful C programmer would write it with FFTW:
// samples are channel-major (`channels` rows of `frames` floats); for each channel,
// consecutive epochs of 4 s, Welch PSD over 2 s periodic-Hann segments with 50 %
// overlap (mean removed per segment, density scaling, one-sided), band powers of
// delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45 Hz (sum of PSD * df over
// lo <= f < hi). The FFTW plan is made once. Returns the sum of all band powers.
double cref_bandpower_run(const float *samples, int channels, size_t frames, double fs);

// Whole-process mode (wholeprocess.c, run by the cref-eeg executable): the work of
// `eeg bandpower --input-format f32 --epoch E --format csv` and of `eeg analyze
// --format csv` (no filter, its default) on a file of little-endian float32 frames,
// read with read(2) in large chunks into one reused buffer, FFTW planned once
// (FFTW_ESTIMATE), numbers written with "%.17g". analyze computes per 4 s epoch: Welch
// band powers, the ratios of the channel means, quality (flat, railed, artifacts around
// the least-squares line, line-noise ratio), rejection, and the attention, relaxation
// and workload scores against a baseline of the usable epochs of the first 60 s.
// Return 0, or a sysexits-style code (65 bad data, 66 no input, 73/74 output).
int cref_bandpower_file(const char *input, int channels, double fs, double epoch_seconds, const char *output);
int cref_analyze_file(const char *input, int channels, double fs, const char *output);

#endif
