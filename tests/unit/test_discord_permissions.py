"""Discord's permission order and the /presave-setup check, on plain values."""

from __future__ import annotations

from dataclasses import replace

from core.discord_permissions import (
    ADMINISTRATOR,
    ALL,
    EMBED_LINKS,
    MANAGE_ROLES,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Overwrite,
    SetupFacts,
    check_setup,
    effective,
    overwrites_of,
)

GUILD, BOT, MOD = "100000000000000001", "200000000000000002", "300000000000000003"
POSTING = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY


def perms(
    *overwrites: Overwrite, roles: dict[str, int] | None = None, owner: bool = False
) -> tuple[int, int]:
    return effective(
        guild_id=GUILD,
        member_id=BOT,
        member_roles=[MOD],
        role_permissions=roles if roles is not None else {GUILD: POSTING, MOD: MANAGE_ROLES},
        is_owner=owner,
        overwrites=overwrites,
    )


def test_roles_add_up_and_no_overwrite_keeps_them() -> None:
    server, channel = perms()
    assert server == POSTING | MANAGE_ROLES
    assert channel == server


def test_everyone_deny_then_role_allow_then_member_deny_in_that_order() -> None:
    everyone = Overwrite(GUILD, 0, 0, SEND_MESSAGES)
    role = Overwrite(MOD, 0, SEND_MESSAGES, 0)
    assert perms(everyone)[1] & SEND_MESSAGES == 0
    assert perms(everyone, role)[1] & SEND_MESSAGES
    member = Overwrite(BOT, 1, 0, SEND_MESSAGES)
    assert perms(everyone, role, member)[1] & SEND_MESSAGES == 0
    # A role overwrite's allow beats another role's deny: allows are applied after denies.
    other = Overwrite("400000000000000004", 0, 0, SEND_MESSAGES)
    assert perms(everyone, role, other)[1] & SEND_MESSAGES


def test_no_view_channel_means_no_channel_permission_at_all() -> None:
    hidden = Overwrite(GUILD, 0, 0, VIEW_CHANNEL)
    assert perms(hidden)[1] == 0


def test_administrator_and_owner_have_everything() -> None:
    hidden = Overwrite(GUILD, 0, 0, VIEW_CHANNEL | SEND_MESSAGES)
    assert perms(hidden, roles={GUILD: 0, MOD: ADMINISTRATOR}) == (ALL, ALL)
    assert perms(hidden, roles={GUILD: 0}, owner=True) == (ALL, ALL)


def test_overwrites_are_read_from_rest_strings() -> None:
    channel = {"permission_overwrites": [{"id": MOD, "type": 0, "allow": "2048", "deny": "1024"}]}
    assert overwrites_of(channel) == [Overwrite(MOD, 0, 2048, 1024)]
    assert overwrites_of({"permission_overwrites": "nonsense"}) == []


FACTS = SetupFacts(
    guild_id=GUILD,
    channel_name="drops",
    channel_type=0,
    channel_permissions=POSTING | MENTION_EVERYONE,
    guild_permissions=MANAGE_ROLES,
    bot_top_position=5,
    role_id=MOD,
    role_name="Pre-saver",
    role_position=2,
    role_managed=False,
    role_mentionable=False,
)


def test_a_good_setup_has_no_problem() -> None:
    assert check_setup(FACTS).problems == ()
    assert check_setup(FACTS).warnings == ()


def test_each_missing_permission_is_named() -> None:
    cases = {
        "View Channel permission in #drops": replace(FACTS, channel_permissions=0),
        "Send Messages permission in #drops": replace(FACTS, channel_permissions=VIEW_CHANNEL),
        "Read Message History permission in #drops": replace(
            FACTS, channel_permissions=VIEW_CHANNEL | SEND_MESSAGES
        ),
        "Manage Roles permission": replace(FACTS, guild_permissions=0),
        "highest role must be above @Pre-saver": replace(FACTS, role_position=5),
        "not a text or announcement channel": replace(FACTS, channel_type=2),
        "@everyone cannot be the pre-saver role": replace(FACTS, role_id=GUILD),
        "managed by an integration": replace(FACTS, role_managed=True),
    }
    for words, facts in cases.items():
        problems = check_setup(facts).problems
        assert len(problems) == 1 and words in problems[0], (words, problems)


def test_a_role_that_cannot_be_pinged_is_a_warning_not_a_refusal() -> None:
    quiet = replace(FACTS, channel_permissions=POSTING)
    checked = check_setup(quiet)
    assert checked.problems == ()
    assert len(checked.warnings) == 1 and "without pinging it" in checked.warnings[0]
    assert check_setup(replace(quiet, role_mentionable=True)).warnings == ()
