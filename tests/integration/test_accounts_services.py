"""Accounts, one-time links, tenancy and the audit log, at the service level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.models import Membership, OneTimeToken, User
from core.services import accounts, audit, one_time_links, tenancy
from core.services.one_time_links import INVITE, RESET, SIGN_IN
from core.timeutil import utcnow
from core.validation import ValidationError
from tests.factories import make_campaign

PASSWORD = "correct horse battery"


def owner(db: Session, email: str = "Owner@Label.example", team: str = "Label") -> User:
    user, raw = accounts.create_user(db, email, team)
    accounts.use_sign_in_link(db, raw, PASSWORD, SIGN_IN)
    db.commit()
    return user


def test_create_user_lowercases_the_email_and_makes_the_team(db: Session) -> None:
    user, raw = accounts.create_user(db, "  Mira@Example.COM ", "Mira's team")
    db.commit()
    assert user.email == "mira@example.com" and user.password_hash is None
    assert [t.team_name for t in accounts.memberships(db, user.id)] == ["Mira's team"]
    row = db.scalar(select(OneTimeToken))
    assert row is not None and row.purpose == SIGN_IN and row.token_hash != raw
    assert row.token_hash == one_time_links.digest(raw) and len(row.token_hash) == 64
    assert timedelta(hours=23) < row.expires_at - utcnow() <= timedelta(hours=24)


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two@@x.com", "sp ace@x.com"])
def test_a_bad_email_is_refused_naming_the_field(db: Session, email: str) -> None:
    with pytest.raises(ValidationError) as refused:
        accounts.create_user(db, email, "Label")
    assert refused.value.field == "email"
    db.rollback()
    assert db.scalar(select(User)) is None


@pytest.mark.parametrize("password", ["short", "x" * 9, "x" * 257])
def test_the_password_policy(db: Session, password: str) -> None:
    user, _ = accounts.create_user(db, "a@example.com", "Label")
    with pytest.raises(ValidationError) as refused:
        accounts.set_password(db, user.id, password)
    assert refused.value.field == "password"


def test_authenticate_right_and_wrong(db: Session) -> None:
    user = owner(db)
    assert accounts.authenticate(db, "owner@label.example", "wrong password!") is None
    assert accounts.authenticate(db, "nobody@label.example", PASSWORD) is None
    assert accounts.authenticate(db, "not an email", PASSWORD) is None
    found = accounts.authenticate(db, "OWNER@label.example", PASSWORD)
    assert found is not None and found.id == user.id and found.last_sign_in_at is not None
    assert found.password_hash is not None and PASSWORD not in found.password_hash


def test_a_link_works_once_for_its_purpose_until_it_expires(db: Session) -> None:
    user, raw = accounts.create_user(db, "a@example.com", "Label")
    with pytest.raises(one_time_links.UnknownLink):
        accounts.redeem(db, raw, RESET)  # wrong purpose
    with pytest.raises(one_time_links.UnknownLink):
        accounts.redeem(db, raw + "x", SIGN_IN)
    assert accounts.redeem(db, raw, SIGN_IN).user_id == user.id
    with pytest.raises(one_time_links.UsedLink):
        accounts.redeem(db, raw, SIGN_IN)
    reset = accounts.reset_token(db, "A@example.com")
    db.execute(update(OneTimeToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(one_time_links.ExpiredLink):
        accounts.redeem(db, reset, RESET)


def test_a_refused_password_leaves_the_link_usable(db: Session) -> None:
    _, raw = accounts.create_user(db, "a@example.com", "Label")
    with pytest.raises(ValidationError):
        accounts.use_sign_in_link(db, raw, "short", SIGN_IN)
    assert accounts.use_sign_in_link(db, raw, PASSWORD, SIGN_IN).password_hash is not None


def test_reset_token_of_an_unknown_email(db: Session) -> None:
    with pytest.raises(accounts.UnknownUser):
        accounts.reset_token(db, "nobody@example.com")


def test_only_owners_invite_and_an_invite_adds_the_member(db: Session) -> None:
    boss = owner(db)
    team_id = accounts.memberships(db, boss.id)[0].team_id
    raw = accounts.invite_token(db, team_id, boss.id, "member")
    db.commit()
    joined = accounts.accept_invite(db, raw, "New@Example.com", "another password")
    db.commit()
    assert [(m.email, m.role) for m in accounts.team_members(db, team_id)] == [
        ("owner@label.example", "owner"),
        ("new@example.com", "member"),
    ]
    with pytest.raises(accounts.NotAnOwner):
        accounts.invite_token(db, team_id, joined.id, "member")
    with pytest.raises(one_time_links.UsedLink):
        accounts.accept_invite(db, raw, "third@example.com", "another password")
    assert db.scalar(select(Membership).where(Membership.user_id == joined.id)) is not None


def test_an_existing_account_joins_only_with_its_own_password(db: Session) -> None:
    boss = owner(db)
    other = owner(db, "elsewhere@example.com", "Other team")
    raw = accounts.invite_token(db, accounts.memberships(db, boss.id)[0].team_id, boss.id, "owner")
    with pytest.raises(accounts.WrongPassword):
        accounts.accept_invite(db, raw, "elsewhere@example.com", "not their password")
    joined = accounts.accept_invite(db, raw, "elsewhere@example.com", PASSWORD)
    assert joined.id == other.id
    assert [t.team_name for t in accounts.memberships(db, other.id)] == ["Other team", "Label"]
    assert db.scalar(select(OneTimeToken).where(OneTimeToken.purpose == INVITE)) is not None


def test_tenancy_keeps_teams_apart(db: Session) -> None:
    a, b = owner(db, "a@a.example", "A"), owner(db, "b@b.example", "B")
    team_a = accounts.memberships(db, a.id)[0].team_id
    team_b = accounts.memberships(db, b.id)[0].team_id
    campaign = make_campaign(db)
    tenancy.assign_artist(db, campaign.artist_id, team_a)
    assert tenancy.team_campaign(db, team_a, campaign.id).id == campaign.id
    assert [c.id for c in tenancy.team_campaigns(db, team_a)] == [campaign.id]
    assert tenancy.team_artist_ids(db, team_a) == [campaign.artist_id]
    with pytest.raises(tenancy.NotInTeam):
        tenancy.team_campaign(db, team_b, campaign.id)
    assert tenancy.team_campaigns(db, team_b) == []
    with pytest.raises(tenancy.ArtistInOtherTeam):
        tenancy.assign_artist(db, campaign.artist_id, team_b)


def test_audit_lines_newest_first_with_who(db: Session) -> None:
    user = owner(db)
    team_id = accounts.memberships(db, user.id)[0].team_id
    campaign = make_campaign(db)
    audit.record(db, team_id, None, "created", campaign.id, "from the CLI")
    audit.record(db, team_id, user.id, "scheduled", campaign.id, "1 day left")
    audit.record(db, team_id, user.id, "exported")  # no campaign: not in its log
    lines = audit.for_campaign(db, campaign.id)
    assert [(x.who, x.action, x.detail) for x in lines] == [
        ("owner@label.example", "scheduled", "1 day left"),
        ("CLI", "created", "from the CLI"),
    ]
    assert len(audit.for_campaign(db, campaign.id, limit=1)) == 1
    with pytest.raises(ValueError, match="action"):
        audit.record(db, team_id, user.id, "deleted_everything", campaign.id)


@pytest.mark.postgres
def test_links_tenancy_and_audit_on_postgres(pg_url: str) -> None:
    from sqlalchemy import create_engine

    from cli import migrate

    migrate.upgrade(pg_url)
    engine = create_engine(pg_url)
    with Session(bind=engine, expire_on_commit=False) as db:
        user = owner(db)
        team_id = accounts.memberships(db, user.id)[0].team_id
        campaign = make_campaign(db)
        tenancy.assign_artist(db, campaign.artist_id, team_id)
        audit.record(db, team_id, user.id, "edited", campaign.id, "title")
        db.commit()
        assert tenancy.team_campaign(db, team_id, campaign.id).artist.team_id == team_id
        assert [x.who for x in audit.for_campaign(db, campaign.id)] == ["owner@label.example"]
        raw = accounts.reset_token(db, "owner@label.example")
        accounts.redeem(db, raw, RESET)
        with pytest.raises(one_time_links.UsedLink):
            accounts.redeem(db, raw, RESET)
    engine.dispose()
