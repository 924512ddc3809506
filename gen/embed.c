/*
** embed.c: a build tool.  Writes a C file that holds the given files as
** byte arrays in convgen_embedded[], so the convgen binary carries its
** Lua sources and templates and runs from any directory.
** Usage: embed FILE... > embedded.c   (names are kept as given)
*/
#include <stdio.h>

static int embed_one(FILE *out, const char *path, int index)
{
  FILE *in = fopen(path, "rb");
  int c;
  long n = 0;
  if (!in) {
    perror(path);
    return -1;
  }
  fprintf(out, "static const unsigned char file_%d[] = {", index);
  while ((c = getc(in)) != EOF)
    fprintf(out, "%s%d,", n++ % 24 == 0 ? "\n  " : "", c);
  fprintf(out, "%s0\n};\n", n % 24 == 0 ? "\n  " : "");
  fclose(in);
  return 0;
}

int main(int argc, char **argv)
{
  int i;
  printf("/* Written by gen/embed.c at build time; not to be edited. */\n");
  printf("#include \"convgen.h\"\n\n");
  for (i = 1; i < argc; i++)
    if (embed_one(stdout, argv[i], i) != 0)
      return 1;
  printf("\nconst struct embedded_file convgen_embedded[] = {\n");
  for (i = 1; i < argc; i++) {
    FILE *in = fopen(argv[i], "rb");
    long size;
    if (!in || fseek(in, 0, SEEK_END) != 0 || (size = ftell(in)) < 0) {
      perror(argv[i]);
      return 1;
    }
    fclose(in);
    printf("  {\"%s\", file_%d, %ld},\n", argv[i], i, size);
  }
  printf("  {NULL, NULL, 0}\n};\n");
  return 0;
}
