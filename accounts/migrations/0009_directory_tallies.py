# Directory tallies: Home's user counts and each product's licenses in use, kept by
# statement triggers on PostgreSQL (accounts/models/tallies.py; docs/architecture.md,
# "Directory tallies"), so those counts cost the same at any directory size. SQLite has
# no triggers here: its selectors count the directory itself.

from django.db import migrations, models


# One row per tenant (and product) a statement changed. A user's tenant is fixed, and a
# license assignment keeps its user's tenant. A user counts as licensed while they hold
# at least one license: before counting a first license (or a last one removed), the
# trigger locks the users concerned, in id order, so that two transactions changing one
# user's licenses at once see each other's rows and count the user once.
USER_TALLY = """
CREATE FUNCTION accounts_user_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO accounts_directorytally (tenant_id, users, enabled_users, licensed_users)
        SELECT tenant_id, count(*), count(*) FILTER (WHERE is_active), 0
        FROM new_rows WHERE tenant_id IS NOT NULL GROUP BY tenant_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO accounts_directorytally (tenant_id, users, enabled_users, licensed_users)
        SELECT tenant_id, -count(*), -count(*) FILTER (WHERE is_active), 0
        FROM old_rows WHERE tenant_id IS NOT NULL GROUP BY tenant_id;
    ELSE
        INSERT INTO accounts_directorytally (tenant_id, users, enabled_users, licensed_users)
        SELECT tenant_id, sum(n), sum(enabled), 0 FROM (
            SELECT tenant_id, 1 AS n, is_active::int AS enabled FROM new_rows
            UNION ALL
            SELECT tenant_id, -1, -(is_active::int) FROM old_rows
        ) AS changed
        WHERE tenant_id IS NOT NULL
        GROUP BY tenant_id HAVING sum(n) <> 0 OR sum(enabled) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_user_tally_insert AFTER INSERT ON accounts_user
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accounts_user_tally();
CREATE TRIGGER accounts_user_tally_delete AFTER DELETE ON accounts_user
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION accounts_user_tally();
CREATE TRIGGER accounts_user_tally_update AFTER UPDATE ON accounts_user
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_user_tally();
"""

LICENSE_TALLY = """
CREATE FUNCTION accounts_license_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM accounts_user
        WHERE id IN (SELECT user_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
        INSERT INTO accounts_licensetally (tenant_id, product_id, assigned)
        SELECT tenant_id, product_id, count(*) FROM new_rows GROUP BY tenant_id, product_id;
        INSERT INTO accounts_directorytally (tenant_id, users, enabled_users, licensed_users)
        SELECT tenant_id, 0, 0, count(*) FROM (
            SELECT DISTINCT n.user_id, n.tenant_id FROM new_rows n
            WHERE NOT EXISTS (
                SELECT 1 FROM accounts_licenseassignment a
                WHERE a.user_id = n.user_id AND a.id NOT IN (SELECT id FROM new_rows)
            )
        ) AS first_licenses GROUP BY tenant_id;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM accounts_user
        WHERE id IN (SELECT user_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
        INSERT INTO accounts_licensetally (tenant_id, product_id, assigned)
        SELECT tenant_id, product_id, -count(*) FROM old_rows GROUP BY tenant_id, product_id;
        INSERT INTO accounts_directorytally (tenant_id, users, enabled_users, licensed_users)
        SELECT tenant_id, 0, 0, -count(*) FROM (
            SELECT DISTINCT o.user_id, o.tenant_id FROM old_rows o
            WHERE NOT EXISTS (
                SELECT 1 FROM accounts_licenseassignment a WHERE a.user_id = o.user_id
            )
        ) AS last_licenses GROUP BY tenant_id;
    ELSE
        PERFORM 1 FROM accounts_user
        WHERE id IN (SELECT user_id FROM old_rows UNION SELECT user_id FROM new_rows)
        ORDER BY id FOR NO KEY UPDATE;
        INSERT INTO accounts_licensetally (tenant_id, product_id, assigned)
        SELECT tenant_id, product_id, sum(n) FROM (
            SELECT tenant_id, product_id, 1 AS n FROM new_rows
            UNION ALL
            SELECT tenant_id, product_id, -1 FROM old_rows
        ) AS changed
        GROUP BY tenant_id, product_id HAVING sum(n) <> 0;
        INSERT INTO accounts_directorytally (tenant_id, users, enabled_users, licensed_users)
        SELECT tenant_id, 0, 0, sum(after - before) FROM (
            SELECT u.tenant_id,
                (EXISTS (SELECT 1 FROM accounts_licenseassignment a WHERE a.user_id = u.id))::int
                    AS after,
                (EXISTS (SELECT 1 FROM old_rows o WHERE o.user_id = u.id)
                 OR EXISTS (
                    SELECT 1 FROM accounts_licenseassignment a
                    WHERE a.user_id = u.id AND a.id NOT IN (SELECT id FROM new_rows)
                 ))::int AS before
            FROM accounts_user u
            WHERE u.id IN (SELECT user_id FROM old_rows UNION SELECT user_id FROM new_rows)
        ) AS changed
        WHERE tenant_id IS NOT NULL
        GROUP BY tenant_id HAVING sum(after - before) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_license_tally_insert AFTER INSERT ON accounts_licenseassignment
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_license_tally();
CREATE TRIGGER accounts_license_tally_delete AFTER DELETE ON accounts_licenseassignment
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_license_tally();
CREATE TRIGGER accounts_license_tally_update AFTER UPDATE ON accounts_licenseassignment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_license_tally();
"""

# The directory as it is when the triggers start (in the same transaction: the triggers'
# creation holds off other writes to both tables until it commits).
BACKFILL = """
INSERT INTO accounts_directorytally (tenant_id, users, enabled_users, licensed_users)
SELECT u.tenant_id, count(*), count(*) FILTER (WHERE u.is_active),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM accounts_licenseassignment a WHERE a.user_id = u.id))
FROM accounts_user u WHERE u.tenant_id IS NOT NULL GROUP BY u.tenant_id;
INSERT INTO accounts_licensetally (tenant_id, product_id, assigned)
SELECT tenant_id, product_id, count(*) FROM accounts_licenseassignment
GROUP BY tenant_id, product_id;
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_user_tally_insert ON accounts_user;
DROP TRIGGER IF EXISTS accounts_user_tally_delete ON accounts_user;
DROP TRIGGER IF EXISTS accounts_user_tally_update ON accounts_user;
DROP TRIGGER IF EXISTS accounts_license_tally_insert ON accounts_licenseassignment;
DROP TRIGGER IF EXISTS accounts_license_tally_delete ON accounts_licenseassignment;
DROP TRIGGER IF EXISTS accounts_license_tally_update ON accounts_licenseassignment;
DROP FUNCTION IF EXISTS accounts_user_tally();
DROP FUNCTION IF EXISTS accounts_license_tally();
"""


def triggers_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(USER_TALLY + LICENSE_TALLY + BACKFILL)


def triggers_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_license_assignment_tenant'),
    ]

    operations = [
        migrations.CreateModel(
            name='DirectoryTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tenant_id', models.BigIntegerField(verbose_name='tenant')),
                ('users', models.IntegerField(default=0, verbose_name='users')),
                ('enabled_users', models.IntegerField(default=0, verbose_name='enabled users')),
                ('licensed_users', models.IntegerField(default=0, verbose_name='licensed users')),
            ],
            options={
                'verbose_name': 'directory tally',
                'verbose_name_plural': 'directory tallies',
                'indexes': [models.Index(fields=['tenant_id'], name='directory_tally_tenant_idx')],
            },
        ),
        migrations.CreateModel(
            name='LicenseTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tenant_id', models.BigIntegerField(verbose_name='tenant')),
                ('product_id', models.BigIntegerField(verbose_name='product')),
                ('assigned', models.IntegerField(default=0, verbose_name='licenses assigned')),
            ],
            options={
                'verbose_name': 'license tally',
                'verbose_name_plural': 'license tallies',
                'indexes': [models.Index(fields=['tenant_id', 'product_id'], name='license_tally_tenant_idx')],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop, elidable=False),
    ]
