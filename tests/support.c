#include "tests/support.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *under(const char *env, const char *fallback, const char *relative,
                         int must_exist)
{
    static char path[4096];
    const char *root = getenv(env);
    if (!root || !*root)
        root = fallback;
    snprintf(path, sizeof path, "%s/%s", root, relative);
    if (must_exist && access(path, R_OK) != 0) {
        fprintf(stderr, "skipped: %s not found (%s)\n", path, env);
        return NULL;
    }
    return path;
}

const char *shared_path(const char *relative)
{
    return under("SIGHTLINE_SHARED", "../shared", relative, 1);
}

const char *asset_path(const char *relative)
{
    return under("SIGHTLINE_ASSETS", "assets", relative, 1);
}

const char *source_path(const char *relative)
{
    return under("SIGHTLINE_SOURCE", ".", relative, 0);
}

const char *build_path(const char *relative)
{
    return under("SIGHTLINE_BUILD", ".", relative, 0);
}

char *temp_dir_create(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t n = strlen(base) + 32;
    char *dir = malloc(n);
    if (!dir)
        return NULL;
    snprintf(dir, n, "%s/sightline-test-XXXXXX", base);
    if (!mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void temp_dir_remove(char *dir)
{
    if (!dir)
        return;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

unsigned char *read_file_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *grown = realloc(buf, cap + 1);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[len] = 0; /* handy for text files */
    if (size)
        *size = len;
    return buf;
}

int write_file_bytes(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = fwrite(data, 1, size, f);
    int rc = fclose(f);
    return put == size && rc == 0 ? 0 : -1;
}

static char *slurp_fd(int fd)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(buf, cap);
            if (!grown)
                break;
            buf = grown;
        }
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    if (buf)
        buf[len] = 0;
    return buf;
}

int run_command(const char *cmd, char **out, char **err)
{
    char out_path[] = "/tmp/sightline-out-XXXXXX";
    char err_path[] = "/tmp/sightline-err-XXXXXX";
    int out_fd = mkstemp(out_path);
    int err_fd = mkstemp(err_path);
    if (out_fd < 0 || err_fd < 0)
        return -1;
    size_t n = strlen(cmd) + 2 * sizeof out_path + 32;
    char *full = malloc(n);
    if (!full)
        return -1;
    snprintf(full, n, "( %s ) >%s 2>%s", cmd, out_path, err_path);
    int status = system(full);
    free(full);
    if (out)
        *out = slurp_fd(out_fd);
    if (err)
        *err = slurp_fd(err_fd);
    close(out_fd);
    close(err_fd);
    unlink(out_path);
    unlink(err_path);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

double *json_number_array(const char *text, const char *key, int *count)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(text, pat);
    *count = 0;
    if (!p || !(p = strchr(p + strlen(pat), '[')))
        return NULL;
    p++;
    int cap = 1024, n = 0;
    double *v = malloc((size_t)cap * sizeof *v);
    while (v) {
        while (*p == ' ' || *p == '\n' || *p == ',' || *p == '\r' || *p == '\t')
            p++;
        if (*p == ']' || !*p)
            break;
        char *end;
        double d = strtod(p, &end);
        if (end == p)
            break;
        if (n == cap) {
            cap *= 2;
            double *grown = realloc(v, (size_t)cap * sizeof *v);
            if (!grown) {
                free(v);
                return NULL;
            }
            v = grown;
        }
        v[n++] = d;
        p = end;
    }
    *count = n;
    return v;
}
