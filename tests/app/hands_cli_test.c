#include "tests/app/hands_cli_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

bool hand_models_available(void)
{
    const char *dir = getenv("SIGHTLINE_HAND_MODELS");
    if (!dir || !*dir) {
        dir = source_path("models/mediapipe");
        if (!dir)
            return false;
        setenv("SIGHTLINE_HAND_MODELS", dir, 1);
        dir = getenv("SIGHTLINE_HAND_MODELS");
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/palm_detection_lite.tflite", dir);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "skipped: %s not found (run scripts/fetch-hand-models.sh)\n", probe);
        return false;
    }
    return true;
}

int json_landmark_counts(const char *json, int *counts, int max, int width, int height)
{
    static const char key[] = "\"landmarks\":[";
    int hands = 0;
    for (const char *p = strstr(json, key); p; p = strstr(p, key)) {
        p += sizeof key - 1;
        int triples = 0;
        while (*p == '[') {
            char *end;
            double v[3];
            const char *q = p + 1;
            for (int c = 0; c < 3; c++) {
                v[c] = strtod(q, &end);
                if (end == q)
                    fail_msg("landmark %d of hand %d: not a number at '%.20s'", triples, hands,
                             q);
                q = end;
                if (c < 2) {
                    if (*q != ',')
                        fail_msg("landmark %d of hand %d: not 3 values", triples, hands);
                    q++;
                }
            }
            if (*q != ']')
                fail_msg("landmark %d of hand %d: not 3 values", triples, hands);
            if (!(v[0] >= 0 && v[0] <= width && v[1] >= 0 && v[1] <= height))
                fail_msg("landmark %d of hand %d at (%g, %g), outside the %dx%d picture",
                         triples, hands, v[0], v[1], width, height);
            triples++;
            p = q + 1;
            if (*p == ',')
                p++;
        }
        if (*p != ']')
            fail_msg("hand %d: the landmarks array does not end after %d triples", hands,
                     triples);
        if (hands < max)
            counts[hands] = triples;
        hands++;
    }
    return hands;
}
