"""The instructor review, included from config/urls.py at ``review/`` (namespace ``review``)."""

from django.urls import path

from .views import edits, pages

app_name = "review"

urlpatterns = [
    path("", pages.index, name="index"),
    path("share/<str:token>/", pages.share, name="share"),
    path("workshop/<str:code>/", pages.workshop, name="workshop"),
    path("workshop/<str:code>/people/", edits.workshop_people, name="workshop_people"),
    path("<str:code>/", pages.overview, name="overview"),
    path("<str:code>/timeline/", pages.timeline, name="timeline"),
    path("<str:code>/replay/", pages.replay, name="replay"),
    path("<str:code>/notes/", edits.add_note, name="add_note"),
    path("<str:code>/report/", pages.report, name="report"),
    path("<str:code>/report/edit/", edits.report_edit, name="report_edit"),
    path("<str:code>/report.pdf", pages.report_pdf, name="report_pdf"),
    path("<str:code>/export/<str:name>", pages.export, name="export"),
    path("<str:code>/sharing/", edits.sharing, name="sharing"),
    path("<str:code>/people/", edits.people, name="people"),
]
