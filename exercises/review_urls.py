"""Instructor review, included from config/urls.py at ``review/``."""

from django.urls import path

from . import review_views as views

app_name = "review"

urlpatterns = [
    path("", views.index, name="index"),
    path("share/<str:token>/", views.share, name="share"),
    path("workshop/<str:code>/", views.workshop, name="workshop"),
    path("workshop/<str:code>/people/", views.workshop_people, name="workshop_people"),
    path("<str:code>/", views.overview, name="overview"),
    path("<str:code>/timeline/", views.timeline, name="timeline"),
    path("<str:code>/replay/", views.replay, name="replay"),
    path("<str:code>/notes/", views.add_note, name="add_note"),
    path("<str:code>/report/", views.report, name="report"),
    path("<str:code>/report/edit/", views.report_edit, name="report_edit"),
    path("<str:code>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<str:code>/export/<str:name>", views.export, name="export"),
    path("<str:code>/sharing/", views.sharing, name="sharing"),
    path("<str:code>/people/", views.people, name="people"),
]
