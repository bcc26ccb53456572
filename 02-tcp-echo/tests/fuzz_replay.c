/* fuzz_replay.c -- replays a fuzzer's saved inputs without libFuzzer, so `make test`
 * (with gcc, no clang needed) re-runs every input that ever found a bug: a crash that
 * was fixed stays fixed.
 *
 * Linked with one harness (a file defining LLVMFuzzerTestOneInput) in place of
 * libFuzzer's own main. Usage: fuzz_replay DIR|FILE...   Every regular file in each
 * DIR (not recursive) is one input. Exit 0 when every input ran; a harness that finds
 * a bug aborts (and the sanitizers, when built with them, report it).
 *
 * master: 02-tcp-echo/tests/fuzz_replay.c; edit there, then run `make sync` at the top
 * of the kit (every folder holds an identical copy; `make test` fails on one that differs).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the harness on one file. Returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *data = malloc(cap);
    size_t n;
    while (data != NULL && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(data, cap *= 2);
            if (bigger == NULL)
                free(data);
            data = bigger;
        }
    }
    fclose(f);
    if (data == NULL) {
        fprintf(stderr, "fuzz_replay: %s: out of memory\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

int main(int argc, char *argv[])
{
    int inputs = 0, failed = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            failed = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= replay_file(argv[i]) != 0;
            inputs++;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (dir == NULL) {
            perror(argv[i]);
            failed = 1;
            continue;
        }
        for (struct dirent *e; (e = readdir(dir)) != NULL;) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                failed |= replay_file(path) != 0;
                inputs++;
            }
        }
        closedir(dir);
    }
    printf("fuzz_replay: %d inputs replayed%s\n", inputs, failed ? ", some unreadable" : "");
    return failed;
}
