"""Import users from CSV: on the page and with ``manage.py import_users``; all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.exceptions import UsersImportError
from accounts.models import AdminRole, AuditEvent, User
from accounts.services import users_import
from accounts.services.user_import import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, parse_users_csv
from tests.accounts.factories import AdminFactory, UserFactory
from tests.html_text import parse

URL = "/users/active/import/"
HEADER = "display name,username,usage location,department,job title\n"
GOOD = (
    HEADER
    + "Lynne Robbins,lynne@contoso.example,US,Sales,Account Executive\n"
    + '"Wilke, Nestor",NESTOR@contoso.example,gb,Operations,"Director, Operations"\n'
)


def errors(content: bytes | str) -> list[str]:
    if isinstance(content, str):
        content = content.encode()
    with pytest.raises(UsersImportError) as refused:
        parse_users_csv(content)
    return [str(e) for e in refused.value.errors]


# The file format ---------------------------------------------------------------------


def test_a_good_file_is_read_with_normalised_values():
    rows = parse_users_csv(GOOD.encode())
    assert [(r.line, r.display_name, r.username, r.usage_location) for r in rows] == [
        (2, "Lynne Robbins", "lynne@contoso.example", "US"),
        (3, "Wilke, Nestor", "nestor@contoso.example", "GB"),
    ]
    assert rows[1].job_title == "Director, Operations"


def test_excel_byte_order_mark_crlf_blank_lines_and_column_order_are_fine():
    content = b"\xef\xbb\xbfUsername , Display Name\r\n\r\nada@contoso.example,Ada Lovelace\r\n\r\n"
    [row] = parse_users_csv(content)
    assert (row.line, row.username, row.display_name, row.usage_location) == (
        3,
        "ada@contoso.example",
        "Ada Lovelace",
        "",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n\n ", "The file is empty."),
        (HEADER.encode(), "The file has a header but no users."),
        (
            b"name,email\nA,a@contoso.example\n",
            "Line 1: Unknown column \u201cemail\u201d. The header must name these columns: "
            "display name, username, usage location, department, job title.",
        ),
        (
            b"display name,department\nA,Sales\n",
            "Line 1: The header has no \u201cusername\u201d column.",
        ),
        (
            b"display name,username,username\nA,a@x.example,b@x.example\n",
            "Line 1: The column \u201cusername\u201d appears twice.",
        ),
        (
            b"display name;username\nA;a@contoso.example\n",
            "Line 1: Separate the columns with commas, not semicolons.",
        ),
        (
            "display name,username\nJos\u00e9,jose@contoso.example\n".encode("latin-1"),
            "The file isn't UTF-8 text.",
        ),
        ("display name,username\n".encode("utf-16"), "The file isn't UTF-8 text."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file isn't UTF-8 text."),
        (
            b"display name,username\nA,a@x.example\x00\n",
            "The file isn't a text CSV file (it contains binary data).",
        ),
    ],
)
def test_files_refused_as_a_whole(content, message):
    [error] = errors(content)
    assert error.startswith(message), error


def test_each_bad_row_is_reported_by_line_number():
    content = (
        HEADER
        + "Good One,good@contoso.example,US,,\n"  # line 2
        + ",noname@contoso.example,US,,\n"  # line 3
        + "No User,,US,,\n"  # line 4
        + "Bad Mail,not-an-address,US,,\n"  # line 5
        + "Nowhere,nowhere@contoso.example,XX,,\n"  # line 6
        + "Too Few,few@contoso.example\n"  # line 7
        + "Dup,GOOD@contoso.example,US,,\n"  # line 8
        + f"{'x' * 201},long@contoso.example,US,,\n"  # line 9
        + "Dept,dept@contoso.example,US,"
        + "d" * 101
        + ",\n"  # line 10
        + "Title,title@contoso.example,US,,"
        + "t" * 101
        + "\n"  # line 11
        + "Long Mail,"
        + "m" * 250
        + "@contoso.example,US,,\n"  # line 12
        + "Country Name,country@contoso.example,United States,,\n"  # line 13
    )
    assert errors(content) == [
        "Line 3: Display name is empty.",
        "Line 4: Username is empty.",
        "Line 5: \u201cnot-an-address\u201d isn't a valid username; use the form name@domain.",
        "Line 6: \u201cXX\u201d isn't a usage location: use a two-letter country code such as US.",
        "Line 7: The line has 2 values; the header has 5.",
        "Line 8: The username good@contoso.example is also on line 2.",
        "Line 9: Display name is longer than 200 characters.",
        "Line 10: Department is longer than 100 characters.",
        "Line 11: Job title is longer than 100 characters.",
        "Line 12: Username is longer than 254 characters.",
        "Line 13: \u201cUnited States\u201d isn't a usage location: use a two-letter country code "
        "such as US.",
    ]


def test_a_quoted_value_spanning_lines_keeps_line_numbers_right():
    content = HEADER + '"Multi\nLine",multi@contoso.example,US,,\nBad,bad,US,,\n'
    assert errors(content) == [
        "Line 4: \u201cbad\u201d isn't a valid username; use the form name@domain."
    ]


def test_malformed_csv_is_reported_with_its_line():
    content = HEADER + "Ok,ok@contoso.example,US,,\n" + '"Broken" quote,b@contoso.example,US,,\n'
    [error] = errors(content)
    assert error.startswith("Line 3: The line isn't valid CSV")


def test_unterminated_quote_is_reported():
    [error] = errors(HEADER + '"Never closed,a@contoso.example,US,,\n')
    assert "isn't valid CSV" in error


def test_too_many_rows_is_refused():
    rows = "".join(f"U {n},u{n}@contoso.example,US,,\n" for n in range(MAX_IMPORT_ROWS + 1))
    assert errors(HEADER + rows) == [
        "The file has more than 5,000 users. Split it into smaller files."
    ]


def test_exactly_the_row_limit_is_accepted():
    rows = "".join(f"U {n},u{n}@contoso.example,US,,\n" for n in range(MAX_IMPORT_ROWS))
    assert len(parse_users_csv((HEADER + rows).encode())) == MAX_IMPORT_ROWS


def test_too_large_a_file_is_refused_before_reading_it():
    assert errors(b"x" * (MAX_IMPORT_BYTES + 1)) == [
        "The file is larger than 2 MB. Split it into smaller files."
    ]


def test_errors_shown_are_capped_but_counted():
    rows = "".join(f"U {n},bad{n},US,,\n" for n in range(120))
    with pytest.raises(UsersImportError) as refused:
        parse_users_csv((HEADER + rows).encode())
    assert len(refused.value.errors) == 50
    assert refused.value.total_errors == 120
    assert refused.value.message == "No users were imported: the file has 120 errors."


# The service: all or nothing against the directory -----------------------------------


def test_import_creates_every_user_and_audits_each(tenant, license_admin):
    result = users_import(tenant=tenant, content=GOOD.encode(), acting_user=license_admin)

    assert result.count == 2
    nestor = User.objects.get(username="nestor@contoso.example")
    assert (nestor.tenant, nestor.usage_location, nestor.department) == (tenant, "GB", "Operations")
    assert not nestor.has_usable_password()
    events = AuditEvent.objects.filter(action="user.create", actor=license_admin)
    assert sorted(e.target for e in events) == ["lynne@contoso.example", "nestor@contoso.example"]
    assert events[0].after["source"] == "import"


def test_username_already_in_the_tenant_refuses_the_whole_file(tenant, license_admin):
    UserFactory(tenant=tenant, username="nestor@contoso.example")

    with pytest.raises(UsersImportError) as refused:
        users_import(tenant=tenant, content=GOOD.encode(), acting_user=license_admin)

    assert [str(e) for e in refused.value.errors] == [
        "Line 3: nestor@contoso.example is already a user of your organization."
    ]
    assert not User.objects.filter(username="lynne@contoso.example").exists()
    assert not AuditEvent.objects.exists()


def test_username_of_another_tenant_is_refused_without_naming_it(
    tenant, other_tenant, license_admin
):
    UserFactory(tenant=other_tenant, username="lynne@contoso.example")

    with pytest.raises(UsersImportError) as refused:
        users_import(tenant=tenant, content=GOOD.encode(), acting_user=license_admin)

    [error] = [str(e) for e in refused.value.errors]
    assert error == "Line 2: The username lynne@contoso.example is already in use."
    assert not User.objects.filter(username="nestor@contoso.example").exists()


def test_a_large_import_takes_batches_not_a_query_per_user(
    tenant, license_admin, django_assert_max_num_queries
):
    rows = "".join(f"U {n},u{n}@contoso.example,US,,\n" for n in range(2000))
    # Batches are bounded by the database's limit on query parameters (999 on SQLite).
    with django_assert_max_num_queries(60):
        result = users_import(tenant=tenant, content=(HEADER + rows).encode(), acting_user=None)
    assert result.count == 2000
    assert AuditEvent.objects.filter(action="user.create").count() == 2000


# The page -----------------------------------------------------------------------------


@pytest.fixture
def manager(client, license_admin):
    client.force_login(license_admin)
    return client


def upload(content: bytes | str, name: str = "users.csv") -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_page_explains_the_format_and_offers_a_sample(manager):
    page = parse(manager.get(URL).content)
    assert page.by_id("import-columns").text == (
        "display name, username, usage location, department, job title"
    )
    sample = manager.get(page.by_id("import-sample").attrs["href"])
    assert sample["Content-Type"] == "text/csv; charset=utf-8"
    # The sample is itself a valid file.
    assert len(parse_users_csv(b"".join(sample))) == 2


def test_uploading_a_good_file_imports_and_says_how_many(manager):
    response = manager.post(URL, {"file": upload(GOOD)})

    assert response.status_code == 302
    assert response["Location"] == "/users/active/"
    assert (
        User.objects.filter(
            username__in=["lynne@contoso.example", "nestor@contoso.example"]
        ).count()
        == 2
    )
    assert (
        "2 users imported." in parse(manager.get("/users/active/").content).by_id("messages").text
    )


def test_uploading_over_htmx_shows_the_result_and_refreshes_the_list(manager):
    response = manager.post(URL, {"file": upload(GOOD)}, headers={"HX-Request": "true"})
    assert response["HX-Trigger"] == '{"users-changed": {}}'
    assert parse(response.content).by_id("import-done").text == "2 users imported."


def test_a_file_with_errors_lists_them_by_line_and_imports_nothing(manager):
    content = GOOD + "Bad,bad,US,,\n"

    response = manager.post(URL, {"file": upload(content)})

    assert response.status_code == 200
    box = parse(response.content).by_id("import-errors")
    assert "No users were imported: the file has 1 error." in box.text
    assert "Line 4: \u201cbad\u201d isn't a valid username" in box.text
    assert not User.objects.filter(username="lynne@contoso.example").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"file": upload(b"")}, "The submitted file is empty."),
        ({"file": "not a file"}, "This field is required."),
        ({"file": upload(b"x" * (MAX_IMPORT_BYTES + 1))}, "The file is larger than 2 MB."),
    ],
)
def test_missing_empty_or_oversized_uploads_are_refused(manager, data, message):
    response = manager.post(URL, data)
    assert response.status_code == 200
    assert message in parse(response.content).by_id("import-form").text


def test_binary_file_is_refused(manager):
    response = manager.post(URL, {"file": upload(b"\xff\xd8\xff\xe0JFIF", name="photo.jpg")})
    assert "The file isn't UTF-8 text." in parse(response.content).by_id("import-errors").text


@pytest.mark.parametrize("role", [AdminRole.REPORTS_READER, AdminRole.GLOBAL_READER])
def test_roles_without_user_management_get_403(client, tenant, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": upload(GOOD)}).status_code == 403
    assert client.get("/users/active/import/sample.csv").status_code == 403
    assert not User.objects.filter(username="lynne@contoso.example").exists()


def test_users_go_to_the_importing_admins_tenant(client, other_tenant_admin):
    other = other_tenant_admin.tenant
    client.force_login(other_tenant_admin)
    client.post(URL, {"file": upload(GOOD.replace("@contoso.example", f"@{other.slug}.example"))})
    assert User.objects.get(username=f"lynne@{other.slug}.example").tenant == other


# The command --------------------------------------------------------------------------


def run(*args, stdin: bytes | None = None):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_users", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_a_file(tenant, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(GOOD, encoding="utf-8")

    out, _ = run("--tenant", "contoso", str(path))

    assert out.strip() == "Imported 2 users into Contoso."
    assert User.objects.filter(tenant=tenant).count() == 2
    assert AuditEvent.objects.filter(action="user.create", actor=None).count() == 2


def test_command_reports_each_bad_line_and_fails(tenant, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(GOOD + "Bad,bad,US,,\nNowhere,n@contoso.example,QQ,,\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="No users were imported: the file has 2 errors."):
        call_command("import_users", "--tenant", "contoso", str(path), stdout=out, stderr=err)

    assert "Line 4: \u201cbad\u201d isn't a valid username" in err.getvalue()
    assert "Line 5: \u201cQQ\u201d isn't a usage location" in err.getvalue()
    assert not User.objects.filter(tenant=tenant).exists()


def test_command_reads_standard_input(tenant, monkeypatch):
    class FakeStdin:
        buffer = io.BytesIO(GOOD.encode())

    monkeypatch.setattr("sys.stdin", FakeStdin)
    out, _ = run("--tenant", "contoso", "-")
    assert "Imported 2 users" in out


def test_command_refuses_unknown_tenant_and_missing_file(tenant, tmp_path):
    with pytest.raises(CommandError, match="No tenant has the slug 'nope'."):
        run("--tenant", "nope", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="Cannot read .*missing.csv: No such file"):
        run("--tenant", "contoso", str(tmp_path / "missing.csv"))


def test_command_refuses_an_oversized_file(tenant, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (MAX_IMPORT_BYTES + 10))
    with pytest.raises(CommandError, match="No users were imported"):
        run("--tenant", "contoso", str(path))
