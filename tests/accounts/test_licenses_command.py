"""``manage.py assign_licenses``: bulk licenses from the command line, all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent, LicenseAssignment, User
from tests.accounts.factories import UserFactory
from tests.accounts.licensing import CONFERENCING, CREDITS, bulk_users, codes_of, give, subscribe


@pytest.fixture
def contoso(tenant):
    subscribe(tenant, CREDITS, seats=0)
    subscribe(tenant, CONFERENCING, seats=3)
    return bulk_users(tenant, 3, prefix="cli")


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("assign_licenses", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def users_file(tmp_path, *lines: str, name: str = "users.txt") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_assigns_to_the_users_of_a_file(contoso, tmp_path):
    path = users_file(
        tmp_path,
        "# people who call abroad",
        contoso[0].username,
        "",
        contoso[1].username.upper(),
        contoso[0].username,  # listed twice: once is enough
    )

    out, _ = run("--tenant", "contoso", "--product", CREDITS, "--users-file", path)

    assert out.strip() == "Communications Credits: assigned to 2 users (0 already had it)."
    assert codes_of(contoso[0]) == codes_of(contoso[1]) == {CREDITS}
    assert codes_of(contoso[2]) == set()
    assert AuditEvent.objects.filter(action="license.assign", actor=None).count() == 2


def test_product_code_is_case_insensitive_and_holders_are_counted(contoso, tmp_path):
    give(contoso[:1], CREDITS)
    path = users_file(tmp_path, *(u.username for u in contoso))
    out, _ = run("--tenant", "contoso", "--product", "mcopstnc", "--users-file", path)
    assert out.strip() == "Communications Credits: assigned to 2 users (1 already had it)."


def test_accepts_an_import_csv_with_a_username_column(contoso, tmp_path):
    path = users_file(
        tmp_path,
        "display name,username,usage location",
        f"A,{contoso[0].username},US",
        f"B,{contoso[1].username},US",
        name="users.csv",
    )
    run("--tenant", "contoso", "--product", CREDITS, "--users-file", path)
    assert LicenseAssignment.objects.count() == 2


def test_a_csv_without_username_column_is_refused(contoso, tmp_path):
    path = users_file(tmp_path, "name,email", "A,a@contoso.example", name="users.csv")
    with pytest.raises(CommandError, match="line 1: a CSV needs a header with a username column"):
        run("--tenant", "contoso", "--product", CREDITS, "--users-file", path)


def test_all_assigns_to_everyone_who_can_hold_a_license(contoso, tenant):
    UserFactory(tenant=tenant, usage_location="")
    UserFactory(tenant=tenant, is_active=False)

    out, _ = run("--tenant", "contoso", "--product", CREDITS, "--all")

    assert "Skipping 2 users who cannot hold a license" in out
    assert "Communications Credits: assigned to 3 users" in out
    assert LicenseAssignment.objects.count() == 3


def test_remove_takes_the_license_away(contoso, tmp_path):
    give(contoso, CREDITS)
    path = users_file(tmp_path, contoso[0].username, contoso[1].username)

    out, _ = run("--tenant", "contoso", "--product", CREDITS, "--users-file", path, "--remove")

    assert out.strip() == "Communications Credits: removed from 2 users (0 did not have it)."
    assert codes_of(contoso[2]) == {CREDITS}
    assert codes_of(contoso[0]) == set()


def test_remove_all_includes_blocked_users(contoso, tenant):
    blocked = UserFactory(tenant=tenant)
    give([*contoso, blocked], CREDITS)
    User.objects.filter(pk=blocked.pk).update(is_active=False)

    run("--tenant", "contoso", "--product", CREDITS, "--all", "--remove")

    assert not LicenseAssignment.objects.exists()


def test_not_enough_licenses_changes_nothing(contoso, tenant):
    bulk_users(tenant, 1, prefix="extra")

    with pytest.raises(CommandError) as refused:
        run("--tenant", "contoso", "--product", CONFERENCING, "--all")

    assert str(refused.value) == (
        "No licenses were changed: 1 problem must be fixed first.\n"
        "  Not enough licenses for Audio Conferencing: 4 needed, 3 available."
    )
    assert not LicenseAssignment.objects.exists()


def test_rules_refuse_the_whole_file_naming_each_user(contoso, tenant, tmp_path):
    nowhere = UserFactory(tenant=tenant, usage_location="", display_name="Nadia Nowhere")
    blocked = UserFactory(tenant=tenant, is_active=False, display_name="Bruno Blocked")
    path = users_file(tmp_path, contoso[0].username, nowhere.username, blocked.username)

    with pytest.raises(CommandError) as refused:
        run("--tenant=contoso", f"--product={CREDITS}", f"--users-file={path}")

    message = str(refused.value)
    assert message.startswith("No licenses were changed: 2 problems must be fixed first.")
    assert f"Nadia Nowhere ({nowhere.username}) has no usage location" in message
    assert f"Bruno Blocked ({blocked.username}) is blocked from signing in" in message
    assert not LicenseAssignment.objects.exists()


def test_usernames_not_in_the_tenant_are_listed_by_line(contoso, other_tenant, tmp_path):
    outsider = UserFactory(tenant=other_tenant, username="someone@fabrikam.example")
    path = users_file(tmp_path, contoso[0].username, outsider.username, "ghost@contoso.example")

    with pytest.raises(CommandError) as refused:
        run("--tenant", "contoso", "--product", CREDITS, "--users-file", path)

    message = str(refused.value)
    assert "2 usernames of" in message and "nothing was changed" in message
    assert "line 2: no user someone@fabrikam.example in Contoso" in message
    assert "line 3: no user ghost@contoso.example in Contoso" in message
    assert not LicenseAssignment.objects.exists()


def test_product_not_subscribed_is_refused(contoso):
    with pytest.raises(CommandError, match="no active subscription to Phone System"):
        run("--tenant", "contoso", "--product", "MCOEV", "--all")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nope", "--product", CREDITS, "--all"], "No tenant has the slug 'nope'."),
        (
            ["--tenant", "contoso", "--product", "NOPE", "--all"],
            "No product has the code 'NOPE'. Contoso subscribes to: MCOMEETADV, MCOPSTNC.",
        ),
    ],
)
def test_unknown_tenant_or_product(contoso, args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        run(*args)


def test_users_file_problems(contoso, tmp_path):
    empty = users_file(tmp_path, "# nobody", "", name="empty.txt")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("jos\u00e9@contoso.example\n".encode("latin-1"))
    with pytest.raises(CommandError, match="No users to change."):
        run("--tenant", "contoso", "--product", CREDITS, "--users-file", empty)
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        run("--tenant", "contoso", "--product", CREDITS, "--users-file", str(latin))
    with pytest.raises(CommandError, match="Cannot read .*nothere.txt"):
        run(
            "--tenant",
            "contoso",
            "--product",
            CREDITS,
            "--users-file",
            str(tmp_path / "nothere.txt"),
        )


def test_exactly_one_of_users_file_or_all(contoso, tmp_path):
    with pytest.raises(CommandError, match="one of the arguments --users-file --all is required"):
        run("--tenant", "contoso", "--product", CREDITS)
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("--tenant", "contoso", "--product", CREDITS, "--all", "--users-file", "x")
