"""The live debrief, the hot wash and the improvement plan, included from config/urls.py at ``debrief/``."""

from django.urls import path

from . import debrief_views as views

app_name = "debrief"

urlpatterns = [
    path("plan/", views.plan, name="plan"),
    path("plan/<str:code>/<str:key>/", views.plan_status, name="plan_status"),
    path("<str:code>/", views.console, name="console"),
    path("<str:code>/panel/", views.console_panel, name="panel"),
    path("<str:code>/do/", views.console_do, name="do"),
    path("<str:code>/answer/", views.answer, name="answer"),
    path("<str:code>/hotwash/", views.hotwash, name="hotwash"),
]
