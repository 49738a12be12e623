/* famfs_map_example: a small libfamfs program (C, to show the header is plain C).
 *
 *   famfs_map_example FS cat PATH         writes PATH's bytes to stdout, read through a map
 *   famfs_map_example FS ls [DIR]         lists DIR: mode, size and name of each entry
 *   famfs_map_example FS stat PATH        prints size, allocation, extents and mode
 *   famfs_map_example FS wait PATH MS     waits up to MS ms for PATH to appear, then cats it
 *
 * FS is a famfs mount point or a device. Build against an installed libfamfs with
 *   cc famfs_map_example.c $(pkg-config --cflags --libs famfs)
 * Exit status: 0 success, 1 failure (libfamfs's message on stderr), 2 usage. */
#include <famfs/famfs.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what) {
  fprintf(stderr, "famfs_map_example: %s (%s)\n", famfs_errmsg(), strerror(errno));
  (void)what;
  return 1;
}

static int cat(famfs_t* fs, const char* path) {
  size_t len = 0;
  const char* p = famfs_map(fs, path, FAMFS_MAP_READ, &len);
  if (p == NULL) {
    return fail("map");
  }
  size_t done = 0;
  while (done < len) {
    size_t n = fwrite(p + done, 1, len - done, stdout);
    if (n == 0) {
      perror("famfs_map_example: stdout");
      famfs_unmap(fs, (void*)p);
      return 1;
    }
    done += n;
  }
  fflush(stdout);
  return famfs_unmap(fs, (void*)p) == 0 ? 0 : fail("unmap");
}

static int ls(famfs_t* fs, const char* dir) {
  famfs_dir_t* d = famfs_opendir(fs, dir);
  if (d == NULL) {
    return fail("opendir");
  }
  const struct famfs_dirent* e;
  while ((e = famfs_readdir(d)) != NULL) {
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", dir, e->name);
    struct famfs_attr st;
    if (famfs_stat(fs, path, &st) != 0) {
      famfs_closedir(d);
      return fail("stat");
    }
    printf("%06o %" PRIu64 " %s\n", (unsigned)st.mode, st.size, e->name);
  }
  famfs_closedir(d);
  return 0;
}

static int show(famfs_t* fs, const char* path) {
  struct famfs_attr st;
  if (famfs_stat(fs, path, &st) != 0) {
    return fail("stat");
  }
  printf("size %" PRIu64 " alloc %" PRIu64 " extents %u%s mode %06o\n", st.size, st.alloc,
         (unsigned)st.nextents, (st.flags & FAMFS_STAT_INTERLEAVED) ? " interleaved" : "",
         (unsigned)st.mode);
  return 0;
}

static int wait_then_cat(famfs_t* fs, const char* path, int ms) {
  struct famfs_attr st;
  while (famfs_stat(fs, path, &st) != 0) {
    if (errno != ENOENT) {
      return fail("stat");
    }
    int n = famfs_wait(fs, ms);
    if (n < 0) {
      return fail("wait");
    }
    if (n == 0) {
      fprintf(stderr, "famfs_map_example: %s did not appear in %d ms\n", path, ms);
      return 1;
    }
  }
  return cat(fs, path);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: famfs_map_example FS cat|ls|stat|wait [PATH] [MS]\n");
    return 2;
  }
  famfs_t* fs = famfs_open(argv[1], FAMFS_OPEN_READ);
  if (fs == NULL) {
    return fail("open");
  }
  const char* cmd = argv[2];
  int rc = 2;
  if (strcmp(cmd, "cat") == 0 && argc == 4) {
    rc = cat(fs, argv[3]);
  } else if (strcmp(cmd, "ls") == 0 && argc <= 4) {
    rc = ls(fs, argc == 4 ? argv[3] : "");
  } else if (strcmp(cmd, "stat") == 0 && argc == 4) {
    rc = show(fs, argv[3]);
  } else if (strcmp(cmd, "wait") == 0 && argc == 5) {
    rc = wait_then_cat(fs, argv[3], atoi(argv[4]));
  } else {
    fprintf(stderr, "usage: famfs_map_example FS cat|ls|stat|wait [PATH] [MS]\n");
  }
  famfs_close(fs);
  return rc;
}
