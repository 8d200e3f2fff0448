"""Game URLs (stub: the lead fills it in)."""

urlpatterns: list = []
