from django.contrib.auth import views as auth_views
from django.urls import path

from .views import players as views

urlpatterns = [
    path("", views.home, name="home"),
    path("find/", views.find, name="find"),
    path("join/<str:code>/", views.join, name="join"),
    path("rejoin/<str:token>/", views.rejoin, name="rejoin"),
    path("x/<str:code>/", views.play, name="play"),
    path("x/<str:code>/do/", views.play_command, name="play_command"),
    path("x/<str:code>/auto-role/", views.auto_role, name="auto_role"),
    path("x/<str:code>/feed/", views.feed_page, name="feed_page"),
    path("x/<str:code>/console/feed/", views.console_feed, name="console_feed"),
    path("x/<str:code>/projector/", views.projector, name="projector"),
    path("x/<str:code>/console/", views.console, name="console"),
    path("x/<str:code>/console/do/", views.console_command, name="console_command"),
    path("x/<str:code>/console/as/", views.console_as, name="console_as_chosen"),  # ?role= from the picker
    path("x/<str:code>/console/as/<str:role>/", views.console_as, name="console_as"),
    path("x/<str:code>/console/joining/", views.join_lock, name="join_lock"),
    path("w/<str:code>/console/", views.workshop_console, name="workshop_console"),
    path("w/<str:code>/console/do/", views.workshop_command, name="workshop_command"),
    path("facilitator/", views.facilitator_home, name="facilitator_home"),
    path("facilitator/new/", views.create, name="create"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("lang/", views.switch_language, name="switch_language"),
]
