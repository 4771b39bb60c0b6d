"""HTTP layer: the console (admin/), the portal (portal/), the JSON API (api/)."""
