/* 2x2 average pooling (stride 2) after a sigmoid, on channels-last (N, H, W, C) float32 arrays.
 *
 * d2l_utils/fast.py compiles this file once per machine and calls it through ctypes; without a C
 * compiler it uses the same arithmetic written with PyTorch operations. Both match PyTorch's
 * avg_pool2d and sigmoid_backward bit for bit: the same additions in the same order, then / 4.
 * Build flags keep IEEE arithmetic (no -ffast-math, no contraction into fused multiply-adds).
 */

/* s: (N, H, W, C) sigmoid outputs; out: (N, H/2, W/2, C) window means */
void pool_forward(const float *s, float *out, long N, long H, long W, long C)
{
    const long Ho = H / 2, Wo = W / 2;
#pragma omp parallel for
    for (long n = 0; n < N; n++) {
        for (long i = 0; i < Ho; i++) {
            const float *top = s + (n * H + 2 * i) * W * C;
            const float *bottom = top + W * C;
            float *o = out + (n * Ho + i) * Wo * C;
            for (long j = 0; j < Wo; j++) {
                const float *t = top + 2 * j * C, *b = bottom + 2 * j * C;
                for (long k = 0; k < C; k++) {
                    float sum = t[k] + t[C + k]; /* top left + top right */
                    sum += b[k];                  /* + bottom left */
                    sum += b[C + k];              /* + bottom right */
                    o[j * C + k] = sum / 4.0f;
                }
            }
        }
    }
}

/* g: (N, H/2, W/2, C) output gradient already divided by 4; s, grad: (N, H, W, C) */
void pool_backward(const float *g, const float *s, float *grad, long N, long H, long W, long C)
{
    const long Ho = H / 2, Wo = W / 2;
#pragma omp parallel for
    for (long n = 0; n < N; n++) {
        for (long i = 0; i < H; i++) {
            const float *gr = g + (n * Ho + i / 2) * Wo * C;
            const float *sr = s + (n * H + i) * W * C;
            float *out = grad + (n * H + i) * W * C;
            for (long j = 0; j < W; j++) {
                const float *gj = gr + (j / 2) * C;
                for (long k = 0; k < C; k++) {
                    const float y = sr[j * C + k];
                    out[j * C + k] = gj[k] * (1.0f - y) * y; /* sigmoid_backward's formula */
                }
            }
        }
    }
}
