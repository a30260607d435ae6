#include "app/app_models.h"

#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key;
    const char *pattern; /* fnmatch, case-insensitive */
    const char *exclude; /* a match of this is skipped */
} roles[] = {
    [MODEL_VLM] = {"vlm", "*smolvlm*.gguf", "mmproj*"},
    [MODEL_VLM_MMPROJ] = {"mmproj", "mmproj*smolvlm*.gguf", NULL},
    [MODEL_LLM] = {"llm", "*instruct*.gguf", "*vlm*"},
    [MODEL_WHISPER] = {"whisper", "ggml-*.bin", "*silero*"},
    [MODEL_VAD] = {"vad", "*silero*.bin", NULL},
};

const char *model_role_key(model_role role)
{
    return roles[role].key;
}

/* $XDG_x_HOME or ~/fallback, joined with tail; NULL without a home. */
static char *xdg_path(const char *var, const char *fallback, const char *tail)
{
    const char *base = getenv(var);
    const char *home = getenv("HOME");
    char *out = NULL;
    int n;
    if (base && base[0] == '/')
        n = asprintf(&out, "%s/%s", base, tail);
    else if (home && home[0])
        n = asprintf(&out, "%s/%s/%s", home, fallback, tail);
    else
        return NULL;
    return n < 0 ? NULL : out;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* The config's value for key, malloc'ed, or NULL. */
static char *config_value(const char *key)
{
    char *path = xdg_path("XDG_CONFIG_HOME", ".config", "sightline/config");
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return NULL;
    char line[4096];
    char *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (strcmp(trim(line), key) == 0 && *trim(eq + 1))
            found = strdup(trim(eq + 1));
    }
    fclose(f);
    return found;
}

char *app_models_dir(void)
{
    const char *env = getenv("SIGHTLINE_MODELS");
    if (env && env[0])
        return strdup(env);
    char *dir = config_value("models_dir");
    return dir ? dir : xdg_path("XDG_DATA_HOME", ".local/share", "sightline/models");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

void app_find_model(model_role role, const char *flag, char **out)
{
    *out = NULL;
    if (flag) {
        *out = strdup(flag);
        return;
    }
    if ((*out = config_value(roles[role].key)))
        return;
    char *dir = app_models_dir();
    if (!dir)
        return;
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, by_name);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (!*out && fnmatch(roles[role].pattern, name, FNM_CASEFOLD) == 0 &&
            !(roles[role].exclude && fnmatch(roles[role].exclude, name, FNM_CASEFOLD) == 0) &&
            asprintf(out, "%s/%s", dir, name) < 0)
            *out = NULL;
        free(names[i]);
    }
    free(names);
    free(dir);
}

int app_open_gguf(const char *path, gguf_file **out)
{
    sl_error err = {0};
    sl_status st = gguf_open(path, out, &err);
    if (st == SL_OK)
        return EXIT_OK;
    /* A file that cannot be read is an input error; one that is not a valid
     * model is a model error. */
    if (st == SL_ERR_FORMAT || st == SL_ERR_UNSUPPORTED)
        err.code = SL_ERR_MODEL;
    return cli_fail(&err);
}
