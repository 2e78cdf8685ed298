from accounts.models import AdminRole


def test_admin_factory_gives_the_requested_roles(global_admin, billing_admin):
    assert global_admin.admin_roles == {AdminRole.GLOBAL_ADMIN}
    assert billing_admin.admin_roles == {AdminRole.BILLING_ADMIN}
