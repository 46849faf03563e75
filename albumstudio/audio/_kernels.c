/* The audio layer's compiled kernels, called through ctypes (albumstudio/audio/kernels.py).
 *
 * It is a Python extension only so that it installs, and is bundled, like any other module: the
 * functions are called through ctypes (which lets go of the interpreter lock, so the tagging
 * workers and the analysis run them at once) from the addresses the module publishes. The
 * extension is optional: where it is not built, numpy's versions run.
 *
 * musicnn's front end (for processors with AVX2 and FMA; `simd` is 0 elsewhere). The numpy
 * front end (albumstudio/audio/musicnn_numpy.py) computes each timbral convolution in the mel
 * axis's DFT basis: per DFT bin a product of 7 frames' coefficients (14 reals) with the
 * kernels' (14 x 2 reals a channel), then the inverse DFT back to the valid mel positions, then
 * the max over the positions. Through numpy and OpenBLAS a third of that time is not
 * arithmetic: each of the 98 small products per step is a library call that zeroes its
 * output, then copies (packs) both operands, and the positions are written out in full before
 * their max is taken. Here the same arithmetic runs tile by tile (16 channels, 12 frames): a
 * tile's coefficient rows (72 KB) stay in the core's cache between the product that makes them
 * and the inverse that reads them, the positions' values stay in registers, and only each
 * frame's max is stored; the temporal convolutions likewise. The sums are the numpy front
 * end's in another order (float32 throughout), so the two agree to rounding
 * (tests/audio/test_musicnn_kernels.py).
 *
 * The loudness meters (portable C, every processor): the K-weighting's two biquads per
 * channel in double, one sample at a time, as scipy's sosfilt does (numpy's version runs them
 * as products over 32-sample chunks), and the true peak's interpolation, window by window
 * where a sample could beat the peak (tests/audio/test_loudness_kernels.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#define TILE 16        /* channels per tile: two 8-float vectors */
#define ROWS 6         /* frames per register tile of the products */
#define FRAME_BLOCK 12 /* frames per tile of coefficients */
#define INVERSE_ROWS 5 /* base positions per register tile of the inverse */
#define MAX_BASE 50    /* base positions at most (N/4 + 1 for a 196-bin frame) */
#define TEMPORAL_CHANNELS 6 /* channels per register tile of the temporal kernels */
#define TEMPORAL_FRAMES 16  /* frames per register tile: two vectors */

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

#define FAST __attribute__((target("avx2,fma")))

/* ROWS x 16 of  z[j] = windows[b] (ROWS x taps) @ weights[j] (taps x 16), the accumulators in
 * registers (written out, not as an array, so that the compiler keeps them there) */
FAST static inline void product_tile(const float *a, int taps, const float *w, float *z,
                                     size_t z_row) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int k = 0; k < taps; k++) {
        const __m256 w0 = _mm256_loadu_ps(w + k * TILE);
        const __m256 w1 = _mm256_loadu_ps(w + k * TILE + 8);
        __m256 x;
#define ROW(i, r0, r1)                                   \
        x = _mm256_broadcast_ss(a + (i) * taps + k);     \
        r0 = _mm256_fmadd_ps(x, w0, r0);                 \
        r1 = _mm256_fmadd_ps(x, w1, r1);
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21)
        ROW(3, c30, c31) ROW(4, c40, c41) ROW(5, c50, c51)
#undef ROW
    }
    _mm256_storeu_ps(z + 0 * z_row, c00); _mm256_storeu_ps(z + 0 * z_row + 8, c01);
    _mm256_storeu_ps(z + 1 * z_row, c10); _mm256_storeu_ps(z + 1 * z_row + 8, c11);
    _mm256_storeu_ps(z + 2 * z_row, c20); _mm256_storeu_ps(z + 2 * z_row + 8, c21);
    _mm256_storeu_ps(z + 3 * z_row, c30); _mm256_storeu_ps(z + 3 * z_row + 8, c31);
    _mm256_storeu_ps(z + 4 * z_row, c40); _mm256_storeu_ps(z + 4 * z_row + 8, c41);
    _mm256_storeu_ps(z + 5 * z_row, c50); _mm256_storeu_ps(z + 5 * z_row + 8, c51);
}

/* One row of the same (the frames past the last whole tile). */
FAST static inline void product_row(const float *a, int taps, const float *w, float *z) {
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
    for (int k = 0; k < taps; k++) {
        const __m256 x = _mm256_broadcast_ss(a + k);
        c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + k * TILE), c0);
        c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + k * TILE + 8), c1);
    }
    _mm256_storeu_ps(z, c0);
    _mm256_storeu_ps(z + 8, c1);
}

/* INVERSE_ROWS x 16 of  sum_j inverse[j][i] z[j]: one block of base positions of one group's
 * partial sum (``inverse`` (count, INVERSE_ROWS); ``z`` the group's coefficient rows of 16). */
FAST static inline void inverse_tile(const float *inverse, int count, const float *z,
                                     float *out) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    for (int j = 0; j < count; j++) {
        const __m256 z0 = _mm256_loadu_ps(z + j * TILE);
        const __m256 z1 = _mm256_loadu_ps(z + j * TILE + 8);
        const float *row = inverse + j * INVERSE_ROWS;
        __m256 v;
#define ROW(i, r0, r1)                        \
        v = _mm256_broadcast_ss(row + (i));   \
        r0 = _mm256_fmadd_ps(v, z0, r0);      \
        r1 = _mm256_fmadd_ps(v, z1, r1);
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31) ROW(4, c40, c41)
#undef ROW
    }
    _mm256_storeu_ps(out + 0 * TILE, c00); _mm256_storeu_ps(out + 0 * TILE + 8, c01);
    _mm256_storeu_ps(out + 1 * TILE, c10); _mm256_storeu_ps(out + 1 * TILE + 8, c11);
    _mm256_storeu_ps(out + 2 * TILE, c20); _mm256_storeu_ps(out + 2 * TILE + 8, c21);
    _mm256_storeu_ps(out + 3 * TILE, c30); _mm256_storeu_ps(out + 3 * TILE + 8, c31);
    _mm256_storeu_ps(out + 4 * TILE, c40); _mm256_storeu_ps(out + 4 * TILE + 8, c41);
}

/* One timbral convolution of one patch: peak[f][c] = max over the valid mel positions.
 *
 * The coefficient rows come in four groups: the real parts of the even DFT bins, their
 * imaginary parts, then the odd bins' real and imaginary parts (the imaginary parts of bins 0
 * and N/2 are always zero and left out). Each group's inverse DFT, a cosine or a sine sum, is
 * taken at the base positions p = 0 .. N/4 only (the partial sums Ec, Es, Oc, Os); the
 * transform's symmetries give the frame at four positions from them:
 *     y[p] = Ec + Es + Oc + Os          y[N/2 + p] = Ec + Es - Oc - Os
 *     y[N/2 - p] = Ec - Es - Oc + Os    y[N - p] = Ec - Es + Oc - Os
 * (even bins repeat every N/2 positions and odd ones change sign; cosines are even and sines
 * odd about 0 and N/2), so the inverse costs a quarter of the positions' products.
 *
 * windows:    (bins, frames, taps) float32: each bin's `taps` reals for frames f .. f + 6
 * weights:    (tiles, coefficients, taps, 16): per channel tile, each coefficient row's kernel
 * bin_index:  (coefficients,) the bin whose windows each coefficient row reads
 * counts:     (4,) the groups' coefficient rows, in order (they sum to coefficients)
 * inverse:    per group, (base / INVERSE_ROWS, count, INVERSE_ROWS): its rows of the inverse
 *             DFT at the base positions, block by block
 * half:       N/2; base = N/4 + 1 rounded up to whole INVERSE_ROWS (positions past N/4 give
 *             duplicates, harmless to a max); valid: the positions 0 .. valid - 1 kept
 * peak:       frames rows of `peak_stride` floats; channels [0, channels) are written
 * scratch:    coefficients x FRAME_BLOCK x 16 floats
 * Returns 0, or -1 where the shapes are not the ones this kernel is written for.
 */
FAST static int timbral_peaks(const float *windows, int bins, int frames, int taps,
                              const float *weights, const int *bin_index, int coefficients,
                              const int *counts, const float *inverse, int half, int base,
                              int valid, int channels, float *peak, long peak_stride,
                              float *scratch) {
    const size_t z_row = (size_t)coefficients * TILE;  /* a frame's coefficient rows */
    const int tiles = (channels + TILE - 1) / TILE;
    float partial[4][MAX_BASE * TILE];
    const float *group_inverse[4];
    int group_first[4];
    int total = 0;
    size_t offset = 0;
    if (base % INVERSE_ROWS != 0 || base > MAX_BASE || base < 1 || frames < 1 || taps < 1 ||
        bins < 1 || channels < 1 || valid < 1 || valid > 2 * half || coefficients < 1)
        return -1;
    for (int g = 0; g < 4; g++) {
        if (counts[g] < 1)
            return -1;
        group_first[g] = total;
        group_inverse[g] = inverse + offset;
        total += counts[g];
        offset += (size_t)counts[g] * base;
    }
    if (total != coefficients)
        return -1;
    for (int j = 0; j < coefficients; j++)
        if (bin_index[j] < 0 || bin_index[j] >= bins)
            return -1;
    for (int t = 0; t < tiles; t++) {
        const float *w_tile = weights + (size_t)t * coefficients * taps * TILE;
        const int kept = channels - t * TILE < TILE ? channels - t * TILE : TILE;
        for (int f0 = 0; f0 < frames; f0 += FRAME_BLOCK) {
            const int nf = frames - f0 < FRAME_BLOCK ? frames - f0 : FRAME_BLOCK;
            for (int j = 0; j < coefficients; j++) {
                const float *a = windows + ((size_t)bin_index[j] * frames + f0) * taps;
                const float *w = w_tile + (size_t)j * taps * TILE;
                float *z = scratch + (size_t)j * TILE;  /* frame f's rows at f * z_row */
                int f = 0;
                for (; f + ROWS <= nf; f += ROWS)
                    product_tile(a + (size_t)f * taps, taps, w, z + f * z_row, z_row);
                for (; f < nf; f++)
                    product_row(a + (size_t)f * taps, taps, w, z + f * z_row);
            }
            for (int f = 0; f < nf; f++) {
                const float *z = scratch + f * z_row;
                for (int g = 0; g < 4; g++)
                    for (int p0 = 0; p0 < base; p0 += INVERSE_ROWS)
                        inverse_tile(group_inverse[g] + (size_t)p0 * counts[g], counts[g],
                                     z + (size_t)group_first[g] * TILE, partial[g] + p0 * TILE);
                __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = _mm256_set1_ps(-INFINITY);
                for (int p = 0; p < base; p++) {
                    for (int h = 0; h < 2; h++) {
                        const int at = p * TILE + h * 8;
                        const __m256 ec = _mm256_loadu_ps(partial[0] + at);
                        const __m256 es = _mm256_loadu_ps(partial[1] + at);
                        const __m256 oc = _mm256_loadu_ps(partial[2] + at);
                        const __m256 os = _mm256_loadu_ps(partial[3] + at);
                        const __m256 p1 = _mm256_add_ps(ec, es), m1_ = _mm256_sub_ps(ec, es);
                        const __m256 p2 = _mm256_add_ps(oc, os), m2_ = _mm256_sub_ps(oc, os);
                        __m256 best = _mm256_set1_ps(-INFINITY);
                        if (p < valid)
                            best = _mm256_max_ps(best, _mm256_add_ps(p1, p2));
                        if (half + p < valid)
                            best = _mm256_max_ps(best, _mm256_sub_ps(p1, p2));
                        if (half - p >= 0 && half - p < valid)
                            best = _mm256_max_ps(best, _mm256_sub_ps(m1_, m2_));
                        if (2 * half - p < valid)
                            best = _mm256_max_ps(best, _mm256_add_ps(m1_, m2_));
                        if (h == 0)
                            m0 = _mm256_max_ps(m0, best);
                        else
                            m1 = _mm256_max_ps(m1, best);
                    }
                }
                float *out = peak + (size_t)(f0 + f) * peak_stride + (size_t)t * TILE;
                if (kept == TILE) {
                    _mm256_storeu_ps(out, m0);
                    _mm256_storeu_ps(out + 8, m1);
                } else {
                    float lane[TILE];
                    _mm256_storeu_ps(lane, m0);
                    _mm256_storeu_ps(lane + 8, m1);
                    for (int c = 0; c < kept; c++)
                        out[c] = lane[c];
                }
            }
        }
    }
    return 0;
}

/* 16 frames x 6 channels of one band's  sum_k x[f + k] w[k][c]  (w: this tile's (length, 6)),
 * folded into the running max over the bands, m (6 channels x 2 vectors of frames). */
FAST static inline void temporal_tile(const float *x, const float *w, int length, __m256 *m) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int k = 0; k < length; k++) {
        const __m256 x0 = _mm256_loadu_ps(x + k);
        const __m256 x1 = _mm256_loadu_ps(x + k + 8);
        const float *row = w + k * TEMPORAL_CHANNELS;
        __m256 v;
#define ROW(i, r0, r1)                        \
        v = _mm256_broadcast_ss(row + (i));   \
        r0 = _mm256_fmadd_ps(v, x0, r0);      \
        r1 = _mm256_fmadd_ps(v, x1, r1);
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21)
        ROW(3, c30, c31) ROW(4, c40, c41) ROW(5, c50, c51)
#undef ROW
    }
    m[0] = _mm256_max_ps(m[0], c00); m[1] = _mm256_max_ps(m[1], c01);
    m[2] = _mm256_max_ps(m[2], c10); m[3] = _mm256_max_ps(m[3], c11);
    m[4] = _mm256_max_ps(m[4], c20); m[5] = _mm256_max_ps(m[5], c21);
    m[6] = _mm256_max_ps(m[6], c30); m[7] = _mm256_max_ps(m[7], c31);
    m[8] = _mm256_max_ps(m[8], c40); m[9] = _mm256_max_ps(m[9], c41);
    m[10] = _mm256_max_ps(m[10], c50); m[11] = _mm256_max_ps(m[11], c51);
}

/* One temporal convolution (length frames x 1 band) of one patch, the max over the bands:
 * peak[f][c] = max_b sum_k bands[b][f + k] w[k][c].
 *
 * bands:  (count, band_stride) float32: each band's frames from this kernel's first tap; read
 *         up to frame (frames rounded up to 16) + length - 1, zero past the patch
 * w:      (tiles, length, 6): the kernels, channels in tiles of 6 (zero past the last)
 * peak:   frames rows of `peak_stride` floats; channels [0, channels) are written
 * Returns 0, or -1 for shapes it is not written for.
 */
FAST static int temporal_peaks(const float *bands, int count, long band_stride, int frames,
                               const float *w, int length, int channels, float *peak,
                               long peak_stride) {
    const int tiles = (channels + TEMPORAL_CHANNELS - 1) / TEMPORAL_CHANNELS;
    if (count < 1 || frames < 1 || length < 1 || channels < 1 ||
        band_stride < (long)((frames + TEMPORAL_FRAMES - 1) / TEMPORAL_FRAMES) *
                          TEMPORAL_FRAMES + length - 1)
        return -1;
    for (int t = 0; t < tiles; t++) {
        const float *w_tile = w + (size_t)t * length * TEMPORAL_CHANNELS;
        const int first = t * TEMPORAL_CHANNELS;
        const int valid = channels - first < TEMPORAL_CHANNELS ? channels - first
                                                                : TEMPORAL_CHANNELS;
        for (int f0 = 0; f0 < frames; f0 += TEMPORAL_FRAMES) {
            __m256 m[12];
            for (int i = 0; i < 12; i++)
                m[i] = _mm256_set1_ps(-INFINITY);
            for (int b = 0; b < count; b++)
                temporal_tile(bands + (size_t)b * band_stride + f0, w_tile, length, m);
            float lane[TEMPORAL_CHANNELS][TEMPORAL_FRAMES];
            for (int c = 0; c < TEMPORAL_CHANNELS; c++) {
                _mm256_storeu_ps(lane[c], m[2 * c]);
                _mm256_storeu_ps(lane[c] + 8, m[2 * c + 1]);
            }
            const int nf = frames - f0 < TEMPORAL_FRAMES ? frames - f0 : TEMPORAL_FRAMES;
            for (int f = 0; f < nf; f++) {
                float *out = peak + (size_t)(f0 + f) * peak_stride + first;
                for (int c = 0; c < valid; c++)
                    out[c] = lane[c][f];
            }
        }
    }
    return 0;
}

static int simd_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#else

static int timbral_peaks(const float *windows, int bins, int frames, int taps,
                         const float *weights, const int *bin_index, int coefficients,
                         const int *counts, const float *inverse, int half, int base,
                         int valid, int channels, float *peak, long peak_stride,
                         float *scratch) {
    (void)windows; (void)bins; (void)frames; (void)taps; (void)weights; (void)bin_index;
    (void)coefficients; (void)counts; (void)inverse; (void)half; (void)base; (void)valid;
    (void)channels; (void)peak; (void)peak_stride; (void)scratch;
    return -1;
}

static int temporal_peaks(const float *bands, int count, long band_stride, int frames,
                          const float *w, int length, int channels, float *peak,
                          long peak_stride) {
    (void)bands; (void)count; (void)band_stride; (void)frames; (void)w; (void)length;
    (void)channels; (void)peak; (void)peak_stride;
    return -1;
}

static int simd_available(void) { return 0; }
#endif

/* One channel, or a pair of channels (pair: the second at x + offset_b), through two biquad
 * sections in transposed direct form II, the states in locals; energy[f] gets (or, with
 * accumulate, adds) the channels' weighted squares. */
static void k_weighted_pair(const float *x, long frames, long frame_stride, long offset_b,
                            const double *q, double *za, double *zb, double wa, double wb,
                            double *energy, int pair, int accumulate) {
    const double b0 = q[0], b1 = q[1], b2 = q[2], a1 = q[4], a2 = q[5];
    const double c0 = q[6], c1 = q[7], c2 = q[8], d1 = q[10], d2 = q[11];
    double a10 = za[0], a11 = za[1], a20 = za[2], a21 = za[3];
    double b10 = zb[0], b11 = zb[1], b20 = zb[2], b21 = zb[3];
    for (long f = 0; f < frames; f++) {
        const float *row = x + f * frame_stride;
        const double v = row[0];
        const double y = b0 * v + a10;
        a10 = b1 * v - a1 * y + a11;
        a11 = b2 * v - a2 * y;
        const double u = c0 * y + a20;
        a20 = c1 * y - d1 * u + a21;
        a21 = c2 * y - d2 * u;
        double e = wa * u * u;
        if (pair) {
            const double v2 = row[offset_b];
            const double y2 = b0 * v2 + b10;
            b10 = b1 * v2 - a1 * y2 + b11;
            b11 = b2 * v2 - a2 * y2;
            const double u2 = c0 * y2 + b20;
            b20 = c1 * y2 - d1 * u2 + b21;
            b21 = c2 * y2 - d2 * u2;
            e += wb * u2 * u2;
        }
        energy[f] = accumulate ? energy[f] + e : e;
    }
    za[0] = a10; za[1] = a11; za[2] = a20; za[3] = a21;
    if (pair) {
        zb[0] = b10; zb[1] = b11; zb[2] = b20; zb[3] = b21;
    }
}

/* The K-weighted, channel-weighted energy of each frame of a float32 block:
 * energy[f] = sum_c weights[c] y_c[f]^2, y_c channel c through the two sections of `sos`
 * (2 x 6: b0 b1 b2 a0 a1 a2, a0 = 1). Channel c of frame f is x[f * frame_stride +
 * c * channel_stride]; `state` (channels, 2 sections, z1 z2) is carried in and out, laid out
 * as sosfilt's. Returns 0, or -1 for shapes it is not written for. */
static int k_weighted_energy(const float *x, long frames, int channels, long frame_stride,
                             long channel_stride, const double *sos, int sections,
                             double *state, const double *weights, double *energy) {
    if (channels < 1 || sections != 2 || frames < 0)
        return -1;
    for (int c = 0; c < channels; c += 2) {
        const int pair = c + 1 < channels;
        k_weighted_pair(x + (size_t)c * channel_stride, frames, frame_stride, channel_stride,
                        sos, state + (size_t)c * 4, state + (size_t)(c + pair) * 4, weights[c],
                        pair ? weights[c + 1] : 0.0, energy, pair, c > 0);
    }
    return 0;
}

/* The true peak of a block (4x oversampled, BS.1770's annex): the largest |sample| and
 * |interpolated value| so far. `phases` (count, taps) gives the values between the samples
 * from the window of `taps` samples ending at each one; `history` (channels, taps - 1) holds
 * each channel's samples before the block and is updated; `peak` is carried in and out. A
 * window is computed only when it holds a sample loud enough, times `bound` (the largest sum
 * of |taps|), to beat the peak so far: no other can. Returns 0, -1 for shapes it is not
 * written for, -2 when out of memory. */
static int true_peak(const float *x, long frames, int channels, long frame_stride,
                     long channel_stride, float *history, const float *phases, int count,
                     int taps, double bound, double *peak) {
    const int lead = taps - 1;
    if (channels < 1 || frames < 0 || count < 1 || taps < 2)
        return -1;
    float *lane = (float *)malloc(sizeof(float) * (size_t)(frames + lead));
    if (lane == NULL)
        return -2;
    double best = *peak;
    for (int c = 0; c < channels; c++) {
        float *kept = history + (size_t)c * lead;
        long last_loud = -1;
        for (int i = 0; i < lead; i++) {
            lane[i] = kept[i];
            if (fabs((double)kept[i]) * bound > best)
                last_loud = i;
        }
        const float *in = x + (size_t)c * channel_stride;
        for (long k = 0; k < frames; k++)
            lane[lead + k] = in[k * frame_stride];
        for (long k = 0; k < frames; k++) {
            const double sample = fabs((double)lane[lead + k]);
            if (sample > best)
                best = sample;
            if (sample * bound > best)
                last_loud = lead + k;
            if (last_loud < k)
                continue;
            const float *window = lane + k;
            for (int p = 0; p < count; p++) {
                const float *h = phases + (size_t)p * taps;
                double sum = 0.0;
                for (int t = 0; t < taps; t++)
                    sum += (double)window[t] * (double)h[t];
                if (fabs(sum) > best)
                    best = fabs(sum);
            }
        }
        for (int i = 0; i < lead; i++)
            kept[i] = lane[frames + i];
    }
    free(lane);
    *peak = best;
    return 0;
}

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "The audio layer's compiled kernels (called through ctypes).", -1, NULL, NULL, NULL,
    NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "simd", simd_available()) < 0 ||
        PyModule_AddIntConstant(m, "TILE", TILE) < 0 ||
        PyModule_AddIntConstant(m, "ROWS", ROWS) < 0 ||
        PyModule_AddIntConstant(m, "FRAME_BLOCK", FRAME_BLOCK) < 0 ||
        PyModule_AddIntConstant(m, "INVERSE_ROWS", INVERSE_ROWS) < 0 ||
        PyModule_AddIntConstant(m, "MAX_BASE", MAX_BASE) < 0 ||
        PyModule_AddIntConstant(m, "TEMPORAL_CHANNELS", TEMPORAL_CHANNELS) < 0 ||
        PyModule_AddIntConstant(m, "TEMPORAL_FRAMES", TEMPORAL_FRAMES) < 0 ||
        PyModule_AddObject(m, "timbral_peaks", PyLong_FromVoidPtr((void *)&timbral_peaks)) < 0 ||
        PyModule_AddObject(m, "temporal_peaks", PyLong_FromVoidPtr((void *)&temporal_peaks)) < 0 ||
        PyModule_AddObject(m, "k_weighted_energy",
                           PyLong_FromVoidPtr((void *)&k_weighted_energy)) < 0 ||
        PyModule_AddObject(m, "true_peak", PyLong_FromVoidPtr((void *)&true_peak)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
