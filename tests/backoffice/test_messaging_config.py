"""Sender settings read from the environment."""

import pytest

from backoffice.config import ConfigError, flask_config, load_settings


def test_rates_and_webhook_secret_from_the_environment(tmp_path):
    settings = load_settings(
        str(tmp_path),
        {
            "MAIL_RATE_PER_SECOND": "50.5",
            "SMS_RATE_PER_SECOND": "0",
            "DELIVERY_WEBHOOK_SECRET": "s3cret",
        },
    )
    config = flask_config(settings)
    assert config["MAIL_RATE_PER_SECOND"] == 50.5 and config["SMS_RATE_PER_SECOND"] == 0
    assert config["DELIVERY_WEBHOOK_SECRET"] == "s3cret"
    defaults = flask_config(load_settings(str(tmp_path), {}))
    assert (defaults["MAIL_RATE_PER_SECOND"], defaults["SMS_RATE_PER_SECOND"]) == (200, 10)
    assert defaults["DELIVERY_WEBHOOK_SECRET"] is None


@pytest.mark.parametrize("raw", ["-1", "fast", "nan", "inf"])
def test_bad_rate_is_refused_at_start(tmp_path, raw):
    with pytest.raises(ConfigError, match="MAIL_RATE_PER_SECOND"):
        load_settings(str(tmp_path), {"MAIL_RATE_PER_SECOND": raw})
