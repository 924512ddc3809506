/*
** onnx_run.c: runs a generated net on an input file, for tests/onnx_test.py.
**
**   onnx_run IN_FLOATS OUT_FLOATS input.f32 output.f32
**
** Linked with a net generated with --name net: one input, one output.
** The files hold raw little-endian float32, as numpy's tofile writes them.
*/
#include <stdio.h>
#include <stdlib.h>

void net_forward(const float *x, float *out);

static int fail(const char *what, const char *path) {
  fprintf(stderr, "onnx_run: %s %s\n", what, path);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fputs("usage: onnx_run IN_FLOATS OUT_FLOATS input.f32 output.f32\n", stderr);
    return 2;
  }
  size_t n_in = strtoul(argv[1], NULL, 10), n_out = strtoul(argv[2], NULL, 10);
  float *in = malloc(n_in * sizeof *in), *out = malloc(n_out * sizeof *out);
  if (!in || !out) return fail("out of memory for", argv[3]);
  FILE *f = fopen(argv[3], "rb");
  if (!f || fread(in, sizeof *in, n_in, f) != n_in) return fail("cannot read", argv[3]);
  fclose(f);
  net_forward(in, out);
  f = fopen(argv[4], "wb");
  if (!f || fwrite(out, sizeof *out, n_out, f) != n_out || fclose(f) != 0) return fail("cannot write", argv[4]);
  free(in);
  free(out);
  return 0;
}
