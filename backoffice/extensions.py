"""Flask extension objects, initialised by create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf import CSRFProtect

from models.base import Base


class Session(_FlaskSession):
    """Flask-SQLAlchemy's session, but an explicit ``bind`` wins over the engine.

    Tests bind the session to a connection with an outer transaction (rolled back after
    each test); everything else uses the app's engine as usual.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(metadata=Base.metadata, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
