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

/* UTF-8 to code points with white space runs folded to one space; bytes
 * that are not valid UTF-8 count as one character each. */
static uint32_t *fold_text(const char *s, size_t *n)
{
    size_t len = strlen(s), k = 0;
    uint32_t *cp = malloc((len + 1) * sizeof *cp);
    if (!cp)
        return NULL;
    bool space = true; /* drops leading white space */
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t u = c;
        size_t extra = c >= 0xF0 && c < 0xF8 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (c >= 0xF8 || (c >= 0x80 && c < 0xC0) || i + extra >= len)
            extra = 0;
        if (extra) {
            u = c & (0x3F >> extra);
            for (size_t j = 1; j <= extra; j++)
                u = (u << 6) | ((unsigned char)s[i + j] & 0x3F);
        }
        i += 1 + extra;
        if (u == ' ' || u == '\t' || u == '\n' || u == '\r' || u == '\f' || u == '\v') {
            if (!space)
                cp[k++] = ' ';
            space = true;
            continue;
        }
        space = false;
        cp[k++] = u;
    }
    if (k && cp[k - 1] == ' ')
        k--;
    *n = k;
    return cp;
}

double text_cer(const char *ref, const char *hyp)
{
    size_t nr, nh;
    uint32_t *r = fold_text(ref, &nr), *h = fold_text(hyp, &nh);
    size_t *row = malloc((nh + 1) * sizeof *row);
    double cer = 1.0;
    if (r && h && row) {
        for (size_t j = 0; j <= nh; j++)
            row[j] = j;
        for (size_t i = 1; i <= nr; i++) {
            size_t diag = row[0];
            row[0] = i;
            for (size_t j = 1; j <= nh; j++) {
                size_t up = row[j];
                size_t best = diag + (r[i - 1] != h[j - 1]);
                if (up + 1 < best)
                    best = up + 1;
                if (row[j - 1] + 1 < best)
                    best = row[j - 1] + 1;
                row[j] = best;
                diag = up;
            }
        }
        cer = nr ? (double)row[nh] / (double)nr : (nh ? 1.0 : 0.0);
    }
    free(r);
    free(h);
    free(row);
    return cer;
}
