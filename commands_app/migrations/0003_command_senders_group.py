"""The "command senders" group, holding `commands_app.send_commands`: add a user to it to let them send commands."""

from django.db import migrations

GROUP_NAME = "command senders"


def create_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # Django creates permissions after all migrations ran (post_migrate); this one is needed now.
    content_type, _ = ContentType.objects.get_or_create(app_label="commands_app", model="commandaccess")
    permission, _ = Permission.objects.get_or_create(
        codename="send_commands", content_type=content_type, defaults={"name": "Can send commands"}
    )
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(permission)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commands_app", "0002_command_access_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
