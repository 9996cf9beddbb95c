"""Configuration comes from the environment; production refuses to start without a secret."""

import importlib

import pytest

import config as config_module
from tracker import create_app


def reload_config(monkeypatch, **env):
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return importlib.reload(config_module)


@pytest.fixture(autouse=True)
def _restore_config_module():
    yield
    importlib.reload(config_module)


def test_production_without_secret_key_refuses_to_start(monkeypatch):
    reload_config(monkeypatch, SECRET_KEY=None, TRUSTED_HOSTS="jobs.example.org")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_reads_secret_key_and_database_url(monkeypatch, tmp_path):
    module = reload_config(
        monkeypatch, SECRET_KEY="from-the-environment",
        DATABASE_URL="postgresql://tracker:pw@db.example.org/tracker",
        TRUSTED_HOSTS="jobs.example.org, www.jobs.example.org",
    )
    app = create_app(module.ProductionConfig)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://tracker:pw@db.example.org/tracker"
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["TRUSTED_HOSTS"] == ["jobs.example.org", "www.jobs.example.org"]
    assert app.test_client().get("/", headers={"Host": "evil.example.com"}).status_code == 400


def test_production_without_trusted_hosts_refuses_to_start(monkeypatch):
    reload_config(monkeypatch, SECRET_KEY="from-the-environment", TRUSTED_HOSTS=None)
    with pytest.raises(RuntimeError, match="TRUSTED_HOSTS"):
        create_app("production")


def test_default_database_is_sqlite_in_instance(monkeypatch):
    module = reload_config(monkeypatch, DATABASE_URL=None)
    assert module.Config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert module.Config.SQLALCHEMY_DATABASE_URI.endswith("/tracker.db")


def test_french_is_the_default_language(app):
    assert app.config["BABEL_DEFAULT_LOCALE"] == "fr"
    assert app.config["LANGUAGES"][0] == "fr"
