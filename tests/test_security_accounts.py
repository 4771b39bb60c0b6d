"""Account services: create, update, roles, (de)activation, passwords, the last administrator."""

import threading

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM, actor_for
from backoffice.errors import Conflict, ValidationFailed
from backoffice.security import hash_password, verify_password
from backoffice.services import users as svc
from models import AuditEntry, User
from tests.conftest import PASSWORD
from tests.factories import make_portal_user, make_user


def actions(db, obj) -> list[str]:
    return db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == type(obj).__name__, AuditEntry.object_id == str(obj.id))
        .order_by(AuditEntry.id)
    ).all()


def test_create_user_normalises_and_audits(db):
    user = svc.create_user(
        SYSTEM,
        email="  Anna.Nowak@Example.COM ",
        name=" Anna Nowak ",
        roles=["sales", "rma"],
        password="Zażółć-gęślą",
        locale="en",
    )
    assert user.email == "anna.nowak@example.com"
    assert user.name == "Anna Nowak" and user.locale == "en" and user.active
    assert user.roles == {"sales", "rma"}
    assert verify_password(user.password_hash, "Zażółć-gęślą")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.changes == {"roles": ["rma", "sales"]}


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"email": "not-an-address"}, "email"),
        ({"roles": []}, "roles"),
        ({"roles": ["sales", "king"]}, "roles"),
        ({"password": "short"}, "password"),
        ({"password": "aaaaaaaaaaaa"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"locale": "de"}, "locale"),
        ({"name": "Ż" * 201}, "name"),
    ],
)
def test_create_user_refuses_bad_input(db, overrides, field):
    data = dict(email="ok@example.com", name="Ok", roles=["sales"], password="dobre-hasło-1")
    data.update(overrides)
    with pytest.raises(ValidationFailed) as err:
        svc.create_user(SYSTEM, **data)
    assert err.value.field == field
    assert db.session.scalars(select(User).where(User.email == "ok@example.com")).all() == []


def test_password_equal_to_email_is_refused(db):
    with pytest.raises(ValidationFailed):
        svc.create_user(
            SYSTEM, email="jan@example.com", name="", roles=["sales"], password="jan@example.com"
        )


def test_duplicate_email_is_a_conflict_ignoring_case(db):
    make_user(email="dup@example.com")
    with pytest.raises(Conflict) as err:
        svc.create_user(
            SYSTEM, email="DUP@example.com", name="x", roles=["sales"], password="dobre-hasło-1"
        )
    assert err.value.field == "email"


def test_generated_passwords_are_random_and_pass_the_policy():
    seen = {svc.generate_password() for _ in range(50)}
    assert len(seen) == 50
    for password in seen:
        svc.check_password_policy(password)
        assert len(password) == 14 and password.count("-") == 2
        assert not set(password) & set("0O1lI")


def test_update_user_records_only_what_changed(db):
    user = make_user(roles=("sales",), name="Stara Nazwa", email="a@example.com")
    svc.update_user(
        SYSTEM,
        user,
        email="a@example.com",
        name="Nowa Nazwa",
        roles=["sales", "finance"],
        locale="pl",
        phone="",
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.changes == {
        "name": ["Stara Nazwa", "Nowa Nazwa"],
        "roles": [["sales"], ["finance", "sales"]],
    }
    svc.update_user(
        SYSTEM,
        user,
        email="a@example.com",
        name="Nowa Nazwa",
        roles=["finance", "sales"],
        locale="pl",
    )
    assert actions(db, user).count("user.update") == 1


def test_update_user_refuses_taken_email(db):
    make_user(email="taken@example.com")
    user = make_user(email="mine@example.com")
    with pytest.raises(Conflict):
        svc.update_user(
            SYSTEM, user, email="taken@example.com", name="x", roles=["admin"], locale="pl"
        )


def test_last_active_admin_keeps_role_and_stays_active(db):
    admin = make_user(roles=("admin",))
    make_user(roles=("admin",), active=False)  # an inactive admin does not count
    with pytest.raises(Conflict):
        svc.set_roles(SYSTEM, admin, ["sales"])
    with pytest.raises(Conflict):
        svc.update_user(SYSTEM, admin, email=admin.email, name="x", roles=["sales"], locale="pl")
    with pytest.raises(Conflict):
        svc.set_active(SYSTEM, admin, False)
    assert admin.active and "admin" in admin.roles
    second = make_user(roles=("admin", "sales"))
    svc.set_active(SYSTEM, admin, False)
    assert not admin.active
    with pytest.raises(Conflict):
        svc.set_roles(SYSTEM, second, ["sales"])


def test_nobody_deactivates_themselves(db):
    make_user(roles=("admin",))
    me = make_user(roles=("admin",))
    with pytest.raises(Conflict):
        svc.set_active(actor_for(me), me, False)


def test_set_active_is_idempotent_and_audited_once(db):
    user = make_user(roles=("sales",))
    assert svc.set_active(SYSTEM, user, False) is True
    assert svc.set_active(SYSTEM, user, False) is False
    assert svc.set_active(SYSTEM, user, True) is True
    assert actions(db, user) == ["staff.deactivate", "staff.activate"]


def test_reset_password_generates_and_audits(db):
    user = make_user(roles=("sales",), password=PASSWORD)
    new = svc.reset_password(SYSTEM, user)
    assert verify_password(user.password_hash, new)
    assert not verify_password(user.password_hash, PASSWORD)
    assert "staff.reset_password" in actions(db, user)


def test_change_password_needs_the_current_one(db):
    user = make_user(roles=("sales",), password=PASSWORD)
    with pytest.raises(ValidationFailed) as err:
        svc.change_password(actor_for(user), user, "wrong", "nowe-hasło-123")
    assert err.value.field == "current"
    with pytest.raises(ValidationFailed) as err:
        svc.change_password(actor_for(user), user, PASSWORD, "short")
    assert err.value.field == "new"
    with pytest.raises(ValidationFailed):
        svc.change_password(actor_for(user), user, PASSWORD, PASSWORD)
    svc.change_password(actor_for(user), user, PASSWORD, "nowe-hasło-123")
    assert verify_password(user.password_hash, "nowe-hasło-123")


def test_set_locale(db):
    user = make_portal_user()
    svc.set_locale(SYSTEM, user, "en")
    assert user.locale == "en"
    with pytest.raises(ValidationFailed):
        svc.set_locale(SYSTEM, user, "xx")
    assert actions(db, user) == ["portal.language"]


def test_authenticate_outcomes_are_audited(db):
    user = make_user(roles=("sales",), password=PASSWORD, email="auth@example.com")
    assert svc.authenticate("staff", "AUTH@example.com", PASSWORD, "10.0.0.1") is user
    assert user.last_login_at is not None
    assert svc.authenticate("staff", "auth@example.com", "bad", "10.0.0.1") is None
    assert svc.authenticate("staff", "nobody@example.com", "bad", "10.0.0.1") is None
    user.active = False
    assert svc.authenticate("staff", "auth@example.com", PASSWORD) is False
    assert svc.authenticate("portal", "auth@example.com", PASSWORD) is None
    logged = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert logged == [
        "staff.login",
        "staff.login_failed",
        "staff.login_failed",
        "staff.login_inactive",
        "portal.login_failed",
    ]


def test_authenticate_upgrades_weaker_hashes(app, db):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    user = make_user(roles=("sales",), password=PASSWORD)
    user.password_hash = weak
    svc.authenticate("staff", user.email, PASSWORD)
    assert user.password_hash != weak and verify_password(user.password_hash, PASSWORD)
    again = user.password_hash
    svc.authenticate("staff", user.email, PASSWORD)
    assert user.password_hash == again


def test_portal_user_needs_exactly_one_company(db):
    from tests.factories import make_customer, make_supplier

    with pytest.raises(ValidationFailed):
        svc.create_portal_user(SYSTEM, email="p@example.com", name="P", password="dobre-hasło-1")
    with pytest.raises(ValidationFailed):
        svc.create_portal_user(
            SYSTEM,
            email="p@example.com",
            name="P",
            password="dobre-hasło-1",
            customer=make_customer(),
            supplier=make_supplier(),
        )
    user = svc.create_portal_user(
        SYSTEM, email="p@example.com", name="P", password="dobre-hasło-1", customer=make_customer()
    )
    assert user.kind == "portal" and user.customer is not None


@pytest.mark.postgres
@pytest.mark.committed
def test_two_admins_demoting_each_other_at_once_leave_one(app, db):
    """Two transactions each remove one of the last two admins: exactly one may succeed."""
    from sqlalchemy.orm import Session

    a = make_user(roles=("admin",))
    b = make_user(roles=("admin",))
    db.session.commit()
    ids = (a.id, b.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(user_id: int) -> None:
        with app.app_context(), db.engine.connect() as conn:
            session = Session(bind=conn)
            db.session.registry.set(session)  # services use db.session: make it this one
            try:
                user = session.get(User, user_id)
                barrier.wait(timeout=10)
                svc.set_active(SYSTEM, user, False)
                session.commit()
                outcomes.append("ok")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")
            finally:
                session.close()
                db.session.registry.clear()

    threads = [threading.Thread(target=demote, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    db.session.expire_all()
    active = db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True))).all()
    assert len(active) == 1


def test_hash_password_is_argon2id():
    assert hash_password("x" * 10).startswith("$argon2id$")


def test_cli_creates_users_and_resets_a_locked_out_admin(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "szef@example.com",
            "--role",
            "admin",
            "--password",
            "Hasło-szefa-1",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "szef@example.com")).one()
    user.active = False
    db.session.commit()
    result = runner.invoke(args=["users", "reset-password", "SZEF@example.com"])
    assert result.exit_code == 0, result.output
    new = result.output.strip().rsplit(" ", 1)[-1]
    db.session.refresh(user)
    assert user.active and verify_password(user.password_hash, new)
    result = runner.invoke(args=["users", "reset-password", "nikt@example.com"])
    assert result.exit_code != 0 and "no staff user" in result.output
