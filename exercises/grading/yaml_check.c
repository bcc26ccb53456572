/* yaml_check.c -- parse a YAML file with libyaml and print every scalar with its path, for
 * the grading self-test (selftest.sh checks the GitHub Classroom workflow that
 * make-classroom.sh writes: that it parses, and what its jobs and steps say).
 *
 * Output, one line per scalar, in document order:
 *     name=Autograding Tests
 *     jobs.run-autograding-tests.steps[2].with.max-score=18
 * A newline inside a value is written as \n, a backslash as \\. A key that appears twice in
 * one mapping is an error (YAML forbids it; libyaml does not check it), and so are aliases
 * and more than one document (the workflow needs neither). Exit status 0 when the file
 * parses, 1 otherwise (with FILE:LINE:COLUMN: what), 2 for bad usage.
 *
 * Usage: yaml_check FILE.yml
 * Build: cc yaml_check.c $(pkg-config --cflags --libs yaml-0.1)   (Debian: libyaml-dev)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *file_name;

static bool error_at(const yaml_mark_t *mark, const char *what)
{
    fprintf(stderr, "yaml_check: %s:%zu:%zu: %s\n", file_name, mark->line + 1, mark->column + 1,
            what);
    return false;
}

static bool next_event(yaml_parser_t *parser, yaml_event_t *event)
{
    if (yaml_parser_parse(parser, event))
        return true;
    fprintf(stderr, "yaml_check: %s:%zu:%zu: %s%s%s\n", file_name, parser->problem_mark.line + 1,
            parser->problem_mark.column + 1, parser->problem ? parser->problem : "parse error",
            parser->context ? " " : "", parser->context ? parser->context : "");
    return false;
}

static void print_value(const char *path, const unsigned char *value, size_t len)
{
    printf("%s=", path);
    for (size_t i = 0; i < len; i++) {
        if (value[i] == '\n')
            fputs("\\n", stdout);
        else if (value[i] == '\\')
            fputs("\\\\", stdout);
        else
            putchar(value[i]);
    }
    putchar('\n');
}

/* Print the node that EVENT starts (and everything in it) under PATH. Frees EVENT. */
static bool node(yaml_parser_t *parser, yaml_event_t *event, const char *path, int depth)
{
    char child[4096];
    bool ok = true;

    if (depth > 64) {
        ok = error_at(&event->start_mark, "nested too deeply");
        yaml_event_delete(event);
        return ok;
    }
    switch (event->type) {
    case YAML_SCALAR_EVENT:
        print_value(path, event->data.scalar.value, event->data.scalar.length);
        yaml_event_delete(event);
        return true;
    case YAML_ALIAS_EVENT:
        ok = error_at(&event->start_mark, "an alias (not expected here)");
        yaml_event_delete(event);
        return ok;
    case YAML_SEQUENCE_START_EVENT:
        yaml_event_delete(event);
        for (int i = 0; ok; i++) {
            yaml_event_t item;
            if (!next_event(parser, &item))
                return false;
            if (item.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&item);
                break;
            }
            snprintf(child, sizeof child, "%s[%d]", path, i);
            ok = node(parser, &item, child, depth + 1);
        }
        return ok;
    case YAML_MAPPING_START_EVENT: {
        char **keys = NULL;
        size_t n_keys = 0;
        yaml_event_delete(event);
        while (ok) {
            yaml_event_t key, value;
            if (!next_event(parser, &key)) {
                ok = false;
                break;
            }
            if (key.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&key);
                break;
            }
            if (key.type != YAML_SCALAR_EVENT) {
                ok = error_at(&key.start_mark, "a key that is not a plain value");
                yaml_event_delete(&key);
                break;
            }
            const char *name = (const char *)key.data.scalar.value;
            for (size_t i = 0; i < n_keys && ok; i++)
                if (strcmp(keys[i], name) == 0)
                    ok = error_at(&key.start_mark, "a key that appears twice in one mapping");
            char **more = realloc(keys, (n_keys + 1) * sizeof *keys);
            if (more == NULL || (more[n_keys] = strdup(name)) == NULL) {
                fprintf(stderr, "yaml_check: out of memory\n");
                exit(2);
            }
            keys = more;
            n_keys++;
            snprintf(child, sizeof child, "%s%s%s", path, path[0] != '\0' ? "." : "", name);
            yaml_event_delete(&key);
            if (!ok)
                break;
            if (!next_event(parser, &value)) {
                ok = false;
                break;
            }
            ok = node(parser, &value, child, depth + 1);
        }
        for (size_t i = 0; i < n_keys; i++)
            free(keys[i]);
        free(keys);
        return ok;
    }
    default:
        ok = error_at(&event->start_mark, "an unexpected event");
        yaml_event_delete(event);
        return ok;
    }
}

int main(int argc, char *argv[])
{
    if (argc != 2) {
        fprintf(stderr, "Usage: yaml_check FILE.yml\n");
        return 2;
    }
    file_name = argv[1];
    FILE *f = fopen(file_name, "rb");
    if (f == NULL) {
        fprintf(stderr, "yaml_check: %s: %s\n", file_name, strerror(errno));
        return 1;
    }
    yaml_parser_t parser;
    yaml_event_t event;
    bool ok = yaml_parser_initialize(&parser);
    if (!ok) {
        fprintf(stderr, "yaml_check: cannot set up libyaml's parser\n");
        return 2;
    }
    yaml_parser_set_input_file(&parser, f);
    /* STREAM-START, DOCUMENT-START, the root node, DOCUMENT-END, STREAM-END: nothing else. */
    int documents = 0;
    while (ok && next_event(&parser, &event)) {
        yaml_event_type_t type = event.type;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&event);
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT && ++documents > 1)
            ok = error_at(&event.start_mark, "a second document");
        if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
            type == YAML_MAPPING_START_EVENT || type == YAML_ALIAS_EVENT) {
            ok = node(&parser, &event, "", 0);
            continue;
        }
        yaml_event_delete(&event);
    }
    if (ok && parser.error != YAML_NO_ERROR)
        ok = false;
    yaml_parser_delete(&parser);
    fclose(f);
    if (ok && documents == 0) {
        fprintf(stderr, "yaml_check: %s: empty\n", file_name);
        return 1;
    }
    return ok ? 0 : 1;
}
