/* What the CLI tests of `hands`, `teach` and `sign` share. */
#ifndef SIGHTLINE_TESTS_APP_HANDS_CLI_TEST_H
#define SIGHTLINE_TESTS_APP_HANDS_CLI_TEST_H

#include <stdbool.h>

/* Points SIGHTLINE_HAND_MODELS at the project's models/mediapipe unless it
 * is set; false (with a note on stderr) when the models are not there, and
 * the tests that run them skip. */
bool hand_models_available(void);

/* The hands of each `"landmarks":[...]` array in a JSON document from
 * `sightline hands --json`, in order: counts[i] is the number of [x, y, z]
 * triples of hand i; every x must lie in [0, width] and y in [0, height]
 * (else the test fails). Returns the number of hands. */
int json_landmark_counts(const char *json, int *counts, int max, int width, int height);

#endif
