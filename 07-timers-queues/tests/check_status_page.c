/* check_status_page.c -- the status page (status_page.c): HTML escaping, every
 * placeholder's value, the repeated section, the built-in template, and exact
 * messages for broken templates. */
#include "../status_page.h"
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void use_utc(void)
{
    setenv("TZ", "UTC", 1); /* the test process only: times below are in UTC */
    tzset();
}

/* Two hosts: one up (with a name full of markup), one down that was never up. */
static const struct host_status two_hosts[] = {
    {.name = "<web>",
     .host = "127.0.0.1",
     .port = "80",
     .online = true,
     .last_online = {1700000000, 123456789},
     .state_change = {1699999990, 5000000},
     .detail = "connected in 0.2 ms"},
    {.name = "db & 'co'",
     .host = "::1",
     .port = "5432",
     .online = false,
     .detail = "Connection refused"},
};

/* & < > " ' become entities; like snprintf, the full length is returned and a
 * short buffer is cut and terminated. */
START_TEST(html_escape_escapes_the_five_characters)
{
    char out[128];
    const char *text = "<b>\"Tom\" & 'Jerry'</b>";
    const char *expected = "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;";
    ck_assert_uint_eq(html_escape(text, out, sizeof out), strlen(expected));
    ck_assert_str_eq(out, expected);
    ck_assert_uint_eq(html_escape("plain text", out, sizeof out), 10);
    ck_assert_str_eq(out, "plain text");
    char small[6];
    ck_assert_uint_eq(html_escape("a<b", small, sizeof small), 6);
    ck_assert_str_eq(small, "a&lt;");
    ck_assert_uint_eq(html_escape("<<", NULL, 0), 8);
}
END_TEST

/* Every placeholder has the value it documents, the section repeats per host, and
 * every value is escaped. */
START_TEST(render_fills_every_placeholder)
{
    use_utc();
    struct page_data data = {.hosts = two_hosts,
                             .count = 2,
                             .updated = {1700000001, 999000000},
                             .interval = 20,
                             .round = 7};
    char error[256];
    char *page = page_render(
        "{{up}}/{{total}} down={{down}} {{overall}} round {{round}} every {{interval}} s\n"
        "at {{updated}} ({{updated_iso}})\n"
        "{{#hosts}}[{{name}}|{{host}}|{{port}}|{{address}}|{{state}}|{{last_online}}|"
        "{{last_online_iso}}|{{state_change}}|{{state_change_iso}}|{{detail}}]\n{{/hosts}}end",
        &data, error, sizeof error);
    ck_assert_msg(page != NULL, "render failed: %s", error);
    ck_assert_str_eq(page, "1/2 down=1 down round 7 every 20 s\n"
                           "at 2023-11-14 22:13:21 (2023-11-14T22:13:21.999+0000)\n"
                           "[&lt;web&gt;|127.0.0.1|80|127.0.0.1:80|up|2023-11-14 22:13:20|"
                           "2023-11-14T22:13:20.123+0000|2023-11-14 22:13:10|"
                           "2023-11-14T22:13:10.005+0000|connected in 0.2 ms]\n"
                           "[db &amp; &#39;co&#39;|::1|5432|[::1]:5432|down|never||never||"
                           "Connection refused]\n"
                           "end");
    free(page);
}
END_TEST

/* overall is "up" only when every host is up; interval is whole seconds, at least 1. */
START_TEST(render_overall_and_interval)
{
    struct page_data data = {.hosts = two_hosts, .count = 1, .interval = 0.2};
    char error[256];
    char *page = page_render("{{overall}} {{interval}}", &data, error, sizeof error);
    ck_assert_str_eq(page, "up 1");
    free(page);
    data.count = 0; /* no hosts: nothing is up */
    data.interval = 90.4;
    page =
        page_render("{{overall}} {{interval}} [{{#hosts}}x{{/hosts}}]", &data, error, sizeof error);
    ck_assert_str_eq(page, "down 90 []");
    free(page);
}
END_TEST

/* Broken templates are refused with the line and the exact problem, including a
 * bad placeholder inside the section when there are no hosts to show. */
START_TEST(broken_templates_are_reported)
{
    static const char *const cases[][2] = {
        {"a\nb {{nope}}", "line 2: unknown placeholder '{{nope}}'"},
        {"{{ up }}", "line 1: unknown placeholder '{{ up }}'"},
        {"x\n\n{{up", "line 3: '{{' without '}}'"},
        {"<td>{{name}}</td>", "line 1: only known inside {{#hosts}}...{{/hosts}}: '{{name}}'"},
        {"{{#hosts}}{{name}}", "line 1: section not closed with {{/hosts}}: '{{#hosts}}'"},
        {"ok\n{{/hosts}}", "line 2: {{/hosts}} without {{#hosts}}: '{{/hosts}}'"},
        {"{{#hosts}}\n{{#hosts}}{{/hosts}}", "line 2: sections do not nest: '{{#hosts}}'"},
        {"{{#hosts}}\n\n{{nmae}}{{/hosts}}", "line 3: unknown placeholder '{{nmae}}'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char error[256] = "";
        ck_assert_msg(page_check(cases[i][0], error, sizeof error) == -1, "'%s' was accepted",
                      cases[i][0]);
        ck_assert_str_eq(error, cases[i][1]);
    }
    char error[256];
    ck_assert_int_eq(page_check("no placeholders at all { } }} {", error, sizeof error), 0);
}
END_TEST

/* The built-in template is valid, makes a table row per host with its colour class,
 * and escapes names; a thousand hosts make a thousand rows. */
START_TEST(builtin_template_makes_a_table)
{
    char error[256];
    ck_assert_int_eq(page_check(page_builtin_template, error, sizeof error), 0);
    struct page_data data = {.hosts = two_hosts, .count = 2, .interval = 5, .round = 1};
    clock_gettime(CLOCK_REALTIME, &data.updated);
    char *page = page_render(page_builtin_template, &data, error, sizeof error);
    ck_assert_ptr_nonnull(page);
    ck_assert_ptr_nonnull(strstr(page, "<meta http-equiv=\"refresh\" content=\"5\">"));
    ck_assert_ptr_nonnull(strstr(page, "<p class=\"summary down\">1 of 2 hosts up</p>"));
    ck_assert_ptr_nonnull(strstr(page, "<tr class=\"up\"><td>&lt;web&gt;</td>"
                                       "<td class=\"address\">127.0.0.1:80</td>"));
    ck_assert_ptr_nonnull(strstr(page, "<tr class=\"down\"><td>db &amp; &#39;co&#39;</td>"));
    ck_assert_ptr_null(strstr(page, "<web>"));
    free(page);

    enum { MANY = 1000 };
    struct host_status *many = calloc(MANY, sizeof *many);
    ck_assert_ptr_nonnull(many);
    for (int i = 0; i < MANY; i++)
        many[i] = (struct host_status){
            .name = "h", .host = "10.0.0.1", .port = "22", .online = i % 2, .detail = "x"};
    data.hosts = many;
    data.count = MANY;
    page = page_render(page_builtin_template, &data, error, sizeof error);
    ck_assert_ptr_nonnull(page);
    int rows = 0;
    for (const char *p = page; (p = strstr(p, "<tr class=\"")) != NULL; p++)
        rows++;
    ck_assert_int_eq(rows, MANY);
    ck_assert_ptr_nonnull(strstr(page, "500 of 1000 hosts up"));
    free(page);
    free(many);
}
END_TEST

static Suite *status_page_suite(void)
{
    Suite *s = suite_create("status_page");
    TCase *tc = tcase_create("status_page");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, html_escape_escapes_the_five_characters);
    tcase_add_test(tc, render_fills_every_placeholder);
    tcase_add_test(tc, render_overall_and_interval);
    tcase_add_test(tc, broken_templates_are_reported);
    tcase_add_test(tc, builtin_template_makes_a_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(status_page_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
