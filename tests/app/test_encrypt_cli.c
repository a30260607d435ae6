/* Encryption at rest end to end: `sightline encrypt` and `decrypt`, the
 * passphrase from SIGHTLINE_PASSPHRASE, and a wrong passphrase that changes
 * nothing. argv[1] is the program on SQLCipher, argv[2] the one on plain
 * SQLite (both are built whatever -Dencryption says). */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/app/cli_test.h"

const char *cli_program;
static const char *cipher_program, *plain_program;
static char *dir;

static cli_result run_with(const char *program, const char *passphrase, const char *db,
                           const char *args)
{
    if (passphrase)
        setenv("SIGHTLINE_PASSPHRASE", passphrase, 1);
    else
        unsetenv("SIGHTLINE_PASSPHRASE");
    cli_program = program;
    char full[4096];
    snprintf(full, sizeof full, "--db '%s/%s' %s < /dev/null", dir, db, args);
    cli_result r = cli_run(full);
    unsetenv("SIGHTLINE_PASSPHRASE");
    unsetenv("SIGHTLINE_NEW_PASSPHRASE");
    return r;
}

static void expect(const char *passphrase, const char *db, const char *args, int status,
                   const char *in_out, const char *in_err)
{
    cli_result r = run_with(cipher_program, passphrase, db, args);
    if (r.status != status || (in_out && !strstr(r.out, in_out)) ||
        (in_err && !strstr(r.err, in_err)))
        fail_msg("'%s': exit %d, out '%s', err '%s'", args, r.status, r.out, r.err);
    cli_result_free(&r);
}

static char *db_file(const char *name)
{
    char *p = malloc(4200);
    snprintf(p, 4200, "%s/%s", dir, name);
    return p;
}

static bool contains(const char *path, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    unsigned char *bytes = read_file_bytes(path, &n);
    assert_non_null(bytes);
    bool found = false;
    for (size_t i = 0; !found && i + k <= n; i++)
        found = memcmp(bytes + i, needle, k) == 0;
    free(bytes);
    return found;
}

/* The file's bytes and the stat fields a write would change. */
typedef struct image {
    unsigned char *bytes;
    size_t size;
    struct stat st;
} image;

static image take(const char *path)
{
    image m = {0};
    m.bytes = read_file_bytes(path, &m.size);
    assert_non_null(m.bytes);
    assert_int_equal(stat(path, &m.st), 0);
    return m;
}

static void assert_unchanged(image *m, const char *path)
{
    image now = take(path);
    assert_int_equal(now.size, m->size);
    assert_memory_equal(now.bytes, m->bytes, m->size);
    assert_int_equal(now.st.st_ino, m->st.st_ino);
    assert_int_equal(now.st.st_mtim.tv_sec, m->st.st_mtim.tv_sec);
    assert_int_equal(now.st.st_mtim.tv_nsec, m->st.st_mtim.tv_nsec);
    free(now.bytes);
    const char *side[] = {"-wal", "-shm", "-journal"};
    for (int i = 0; i < 3; i++) {
        char p[4300];
        snprintf(p, sizeof p, "%s%s", path, side[i]);
        struct stat st;
        if (stat(p, &st) == 0)
            fail_msg("%s was left behind", p);
    }
}

static void test_encrypt_and_wrong_passphrase(void **state)
{
    (void)state;
    char *path = db_file("a.db");
    /* Made by the plain build: its search index is FTS5, which SQLCipher
     * lacks; that build refuses it in one line until it is encrypted. */
    cli_result r = run_with(plain_program, NULL, "a.db",
                            "remember the spare key is under the zebrawood flowerpot");
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    assert_true(contains(path, "zebrawood"));
    expect(NULL, "a.db", "memory list", 5, NULL, "FTS5");
    expect("first secret", "a.db", "encrypt", 0, NULL, "encrypted");
    assert_false(contains(path, "zebrawood"));
    assert_false(contains(path, "SQLite format 3"));
    expect("first secret", "a.db", "memory search where is the spare key", 0, "zebrawood",
           NULL);

    /* A wrong passphrase: one line, exit 5, and the file is as it was. */
    image before = take(path);
    char want[4400];
    snprintf(want, sizeof want, "sightline: %s: wrong passphrase, or not a sightline database\n",
             path);
    const char *commands[] = {"memory list", "remember this must not be stored",
                              "memory forget 1", "forget --all --yes", "encrypt", "decrypt"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        cli_result w = run_with(cipher_program, "not the secret", "a.db", commands[i]);
        if (w.status != 5 || strcmp(w.err, want) != 0)
            fail_msg("'%s' with a wrong passphrase: exit %d, err '%s'", commands[i], w.status,
                     w.err);
        cli_result_free(&w);
        assert_unchanged(&before, path);
    }
    /* No passphrase and no terminal: says how to give one. */
    expect(NULL, "a.db", "memory list", 5, NULL, "SIGHTLINE_PASSPHRASE");
    assert_unchanged(&before, path);
    /* The plain build says in one line that it cannot. */
    r = run_with(plain_program, NULL, "a.db", "memory list");
    assert_int_equal(r.status, 5);
    assert_non_null(strstr(r.err, "built without encryption"));
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);
    r = run_with(plain_program, "first secret", "a.db", "encrypt");
    assert_int_equal(r.status, 5);
    assert_non_null(strstr(r.err, "built without encryption"));
    cli_result_free(&r);
    assert_unchanged(&before, path);
    free(before.bytes);

    /* The right one still works. */
    expect("first secret", "a.db", "memory list", 0, "zebrawood", NULL);

    /* A new passphrase: the old one stops working. */
    setenv("SIGHTLINE_NEW_PASSPHRASE", "second secret", 1);
    expect("first secret", "a.db", "encrypt", 0, NULL, "passphrase changed");
    expect("first secret", "a.db", "memory list", 5, NULL, "wrong passphrase");
    expect("second secret", "a.db", "memory list", 0, "zebrawood", NULL);
    assert_false(contains(path, "zebrawood"));

    /* Export stays encrypted and imports into an encrypted database. */
    char args[4300];
    snprintf(args, sizeof args, "export '%s/moved.db'", dir);
    expect("second secret", "a.db", args, 0, NULL, NULL);
    char *moved = db_file("moved.db");
    assert_false(contains(moved, "zebrawood"));
    snprintf(args, sizeof args, "import '%s/moved.db'", dir);
    expect("second secret", "b.db", args, 0, "1 memories", NULL); /* b.db: new, encrypted */
    char *other = db_file("b.db");
    assert_false(contains(other, "SQLite format 3"));
    expect("second secret", "b.db", "memory search spare key", 0, "zebrawood", NULL);

    /* Decrypted, the plain build reads it. */
    expect("second secret", "a.db", "decrypt", 0, NULL, "decrypted");
    assert_true(contains(path, "SQLite format 3"));
    r = run_with(plain_program, NULL, "a.db", "memory search spare key");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "zebrawood"));
    cli_result_free(&r);
    expect(NULL, "a.db", "decrypt", 2, NULL, "not encrypted");
    free(other);
    free(moved);
    free(path);
}

/* Reads from the terminal's master side into buf (appending) until want
 * appears, or until the end when want is NULL. */
static void read_terminal(int fd, char *buf, size_t cap, const char *want)
{
    size_t n = strlen(buf);
    while (n + 1 < cap && !(want && strstr(buf, want))) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20000) <= 0)
            break;
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got <= 0)
            break; /* EIO once the program has exited */
        n += (size_t)got;
        buf[n] = '\0';
    }
}

/* Runs the SQLCipher program with stdin, stdout and stderr on a new
 * terminal, types `typed` after its passphrase prompt; returns the exit
 * status and everything the terminal showed. */
static int run_on_terminal(const char *db, const char *command, const char *typed,
                           char *shown, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, db);
    shown[0] = '\0';
    unsetenv("SIGHTLINE_PASSPHRASE");
    int fd = -1;
    pid_t pid = forkpty(&fd, NULL, NULL, NULL);
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(cipher_program, cipher_program, "--db", path, "memory", command, (char *)NULL);
        _exit(127);
    }
    read_terminal(fd, shown, cap, "assphrase for");
    assert_non_null(strstr(shown, "assphrase for"));
    assert_true(write(fd, typed, strlen(typed)) == (ssize_t)strlen(typed));
    assert_true(write(fd, "\n", 1) == 1);
    read_terminal(fd, shown, cap, NULL);
    /* A program still waiting after the terminal went quiet is a failure,
     * not a hang. */
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 200 && (done = waitpid(pid, &status, WNOHANG)) == 0; i++)
        usleep(100000);
    close(fd);
    if (done != pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("the program did not finish; the terminal showed '%s'", shown);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_passphrase_prompt_on_a_terminal(void **state)
{
    (void)state;
    expect("prompted secret", "t.db", "remember the quokka lives on Rottnest", 0, "number 1",
           NULL); /* created encrypted: SIGHTLINE_PASSPHRASE was set */
    char *path = db_file("t.db");
    assert_false(contains(path, "quokka"));
    char shown[8192];
    int status = run_on_terminal("t.db", "list", "prompted secret", shown, sizeof shown);
    if (status != 0 || !strstr(shown, "quokka"))
        fail_msg("exit %d, terminal showed '%s'", status, shown);
    /* Not echoed. */
    assert_null(strstr(shown, "prompted secret"));

    image before = take(path);
    status = run_on_terminal("t.db", "list", "wrong guess", shown, sizeof shown);
    assert_int_equal(status, 5);
    assert_non_null(strstr(shown, "wrong passphrase, or not a sightline database"));
    assert_null(strstr(shown, "wrong guess"));
    assert_unchanged(&before, path);
    free(before.bytes);
    free(path);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    cipher_program = argv[1];
    plain_program = argv[2];
    dir = temp_dir_create();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encrypt_and_wrong_passphrase),
        cmocka_unit_test(test_passphrase_prompt_on_a_terminal),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    temp_dir_remove(dir);
    return rc;
}
