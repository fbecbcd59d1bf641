#include "cref.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LINE 128

struct cref_ring {
    _Alignas(LINE) _Atomic size_t head;
    _Atomic size_t dropped_total;
    _Alignas(LINE) size_t producer_head;
    size_t cached_tail;
    size_t pending_drops;
    size_t producer_dropped;
    _Alignas(LINE) _Atomic size_t tail;
    _Alignas(LINE) size_t consumer_tail;
    size_t cached_head;
    _Alignas(LINE) _Atomic int consumer_sleeping;
    _Alignas(LINE) size_t capacity, mask;
    int channels;
    float *samples;
    int64_t *indices;
    uint32_t *dropped_before;
};

cref_ring *cref_ring_create(int channels, size_t capacity) {
    size_t rounded = 1;
    while (rounded < capacity) rounded <<= 1;
    cref_ring *r = aligned_alloc(LINE, sizeof(cref_ring));
    memset(r, 0, sizeof *r);
    r->capacity = rounded;
    r->mask = rounded - 1;
    r->channels = channels;
    r->samples = aligned_alloc(64, ((rounded * channels * sizeof(float)) + 63) / 64 * 64);
    r->indices = calloc(rounded, sizeof(int64_t));
    r->dropped_before = calloc(rounded, sizeof(uint32_t));
    memset(r->samples, 0, rounded * channels * sizeof(float));
    return r;
}

void cref_ring_destroy(cref_ring *r) {
    free(r->samples);
    free(r->indices);
    free(r->dropped_before);
    free(r);
}

size_t cref_ring_push(cref_ring *r, const float *samples, int64_t first_index, size_t frames) {
    size_t head = r->producer_head;
    size_t free_slots = r->capacity - (head - r->cached_tail);
    if (free_slots < frames) {
        r->cached_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        free_slots = r->capacity - (head - r->cached_tail);
    }
    size_t accepted = frames < free_slots ? frames : free_slots;
    if (accepted > 0) {
        size_t ch = (size_t)r->channels;
        size_t start = head & r->mask;
        size_t first = accepted < r->capacity - start ? accepted : r->capacity - start;
        memcpy(r->samples + start * ch, samples, first * ch * sizeof(float));
        memcpy(r->samples, samples + first * ch, (accepted - first) * ch * sizeof(float));
        for (size_t i = 0; i < first; i++) r->indices[start + i] = first_index + (int64_t)i;
        for (size_t i = first; i < accepted; i++) r->indices[i - first] = first_index + (int64_t)i;
        memset(r->dropped_before + start, 0, first * sizeof(uint32_t));
        memset(r->dropped_before, 0, (accepted - first) * sizeof(uint32_t));
        r->dropped_before[start] = (uint32_t)r->pending_drops;
        r->pending_drops = 0;
        r->producer_head = head + accepted;
        atomic_store_explicit(&r->head, head + accepted, memory_order_release);
        if (atomic_load_explicit(&r->consumer_sleeping, memory_order_relaxed)) {
            atomic_exchange(&r->consumer_sleeping, 0);  /* a real ring would post a semaphore */
        }
    }
    if (accepted < frames) {
        r->pending_drops += frames - accepted;
        r->producer_dropped += frames - accepted;
        atomic_store_explicit(&r->dropped_total, r->producer_dropped, memory_order_release);
    }
    return accepted;
}

size_t cref_ring_pop(cref_ring *r, float *samples, int64_t *indices, uint32_t *dropped, size_t max_frames) {
    size_t tail = r->consumer_tail;
    size_t available = r->cached_head - tail;
    if (available < max_frames) {
        r->cached_head = atomic_load_explicit(&r->head, memory_order_acquire);
        available = r->cached_head - tail;
    }
    size_t count = max_frames < available ? max_frames : available;
    if (count == 0) return 0;
    size_t ch = (size_t)r->channels;
    size_t start = tail & r->mask;
    size_t first = count < r->capacity - start ? count : r->capacity - start;
    memcpy(samples, r->samples + start * ch, first * ch * sizeof(float));
    memcpy(indices, r->indices + start, first * sizeof(int64_t));
    memcpy(dropped, r->dropped_before + start, first * sizeof(uint32_t));
    size_t rest = count - first;
    memcpy(samples + first * ch, r->samples, rest * ch * sizeof(float));
    memcpy(indices + first, r->indices, rest * sizeof(int64_t));
    memcpy(dropped + first, r->dropped_before, rest * sizeof(uint32_t));
    r->consumer_tail = tail + count;
    atomic_store_explicit(&r->tail, tail + count, memory_order_release);
    return count;
}

static void fill(float *frames, int channels, size_t batch, int64_t first) {
    for (size_t f = 0; f < batch; f++)
        for (int c = 0; c < channels; c++) frames[f * channels + c] = (float)((first + (int64_t)f) & 1023) + (float)c;
}

double cref_ring_run_one_thread(int channels, size_t capacity, size_t batch, size_t total_frames) {
    cref_ring *r = cref_ring_create(channels, capacity);
    float *in = malloc(batch * channels * sizeof(float));
    float *out = malloc(batch * channels * sizeof(float));
    int64_t *idx = malloc(batch * sizeof(int64_t));
    uint32_t *drop = malloc(batch * sizeof(uint32_t));
    fill(in, channels, batch, 0);
    double checksum = 0;
    for (size_t done = 0; done < total_frames; done += batch) {
        cref_ring_push(r, in, (int64_t)done, batch);
        size_t got = cref_ring_pop(r, out, idx, drop, batch);
        checksum += out[0] + (double)idx[got - 1];
    }
    free(in); free(out); free(idx); free(drop);
    cref_ring_destroy(r);
    return checksum;
}

struct producer_args { cref_ring *r; size_t batch, total; };

static void *produce(void *p) {
    struct producer_args *a = p;
    int ch = a->r->channels;
    float *in = malloc(a->batch * ch * sizeof(float));
    fill(in, ch, a->batch, 0);
    for (size_t done = 0; done < a->total; done += a->batch) {
        for (;;) {
            size_t tail = atomic_load_explicit(&a->r->tail, memory_order_acquire);
            if (a->r->capacity - (a->r->producer_head - tail) >= a->batch) break;
            sched_yield();
        }
        cref_ring_push(a->r, in, (int64_t)done, a->batch);
    }
    free(in);
    return NULL;
}

double cref_ring_run_two_threads(int channels, size_t capacity, size_t batch, size_t total_frames) {
    cref_ring *r = cref_ring_create(channels, capacity);
    struct producer_args args = { r, batch, total_frames };
    pthread_t thread;
    pthread_create(&thread, NULL, produce, &args);
    float *out = malloc(batch * channels * sizeof(float));
    int64_t *idx = malloc(batch * sizeof(int64_t));
    uint32_t *drop = malloc(batch * sizeof(uint32_t));
    double checksum = 0;
    size_t received = 0;
    while (received < total_frames) {
        size_t got = cref_ring_pop(r, out, idx, drop, batch);
        if (got == 0) { sched_yield(); continue; }
        checksum += out[0] + (double)idx[got - 1];
        received += got;
    }
    pthread_join(thread, NULL);
    free(out); free(idx); free(drop);
    cref_ring_destroy(r);
    return checksum;
}
