"""Newsletter jobs: write a campaign's audience down, send it in batches, and the sweep that
starts scheduled campaigns and recovers rows a dead worker left behind."""

from backoffice.actors import SYSTEM, Actor
from backoffice.schedule import Periodic
from backoffice.services import newsletter_preparing, newsletter_recovery, newsletter_sending

SCHEDULE = [
    Periodic(
        "newsletters-sweep", "tasks.newsletters.sweep", "* * * * *", queue="mail", timeout=300
    ),
]


def prepare_campaign(
    campaign_id: int, actor_kind: str = "system", actor_id=None, actor_label: str = "system"
) -> None:
    """Write the audience down (recipients, codes, snapshot) and start sending; commits."""
    actor = Actor(actor_kind, actor_id, actor_label) if actor_kind != "system" else SYSTEM
    newsletter_preparing.prepare_campaign(campaign_id, actor)


def send_campaign(campaign_id: int) -> None:
    """Send the campaign's due recipients until done or out of time; commits per message."""
    newsletter_sending.send_campaign(campaign_id)


def sweep() -> None:
    """Start due scheduled campaigns, free rows of dead workers, keep sending jobs queued."""
    newsletter_recovery.sweep_campaigns()
