"""The `itworks` command: the root group and one module per command group.

Each command parses its options, calls one service function (see
``common.run_service``) and prints the result; the use cases live in
``itworks.services``.
"""

from __future__ import annotations

import click

from itworks.cli import (
    audit,
    backup,
    companies,
    contacts,
    db,
    events,
    export,
    handover,
    imports,
    instance,
    introductions,
    invitations,
    keys,
    outbox,
    privacy,
    registrants,
    report,
    surveys,
    targets,
    tiers,
    tokens,
    users,
)


@click.group()
@click.version_option(package_name="itworks-shimane")
def main() -> None:
    """IT WORKS@島根 — operator's tool. The instance folder is $ITWORKS_INSTANCE or ./instance."""


for command in (
    instance.init,
    instance.serve,
    instance.demo,
    db.db,
    users.users,
    keys.keys,
    tokens.tokens,
    events.events,
    registrants.registrants,
    imports.import_,
    export.export,
    surveys.surveys,
    targets.targets,
    report.report,
    tiers.segment,
    tiers.recontact,
    contacts.contacts,
    companies.companies,
    introductions.introductions,
    invitations.invitations,
    outbox.outbox,
    privacy.privacy,
    audit.audit,
    backup.backup,
    handover.handover,
):
    main.add_command(command)
