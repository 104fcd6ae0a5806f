from django.contrib.auth import views as auth_views
from django.urls import path

from .views import console, players, workshop

urlpatterns = [
    path("", players.home, name="home"),
    path("find/", players.find, name="find"),
    path("join/<str:code>/", players.join, name="join"),
    path("rejoin/<str:token>/", players.rejoin, name="rejoin"),
    path("x/<str:code>/", players.play, name="play"),
    path("x/<str:code>/do/", players.play_command, name="play_command"),
    path("x/<str:code>/auto-role/", players.auto_role, name="auto_role"),
    path("x/<str:code>/feed/", players.feed_page, name="feed_page"),
    path("x/<str:code>/console/feed/", console.console_feed, name="console_feed"),
    path("x/<str:code>/channel/<str:channel>/", players.channel_page, name="channel_page"),
    path("x/<str:code>/console/channel/<str:channel>/", console.console_channel_page, name="console_channel_page"),
    path("x/<str:code>/projector/", players.projector, name="projector"),
    path("x/<str:code>/console/", console.console, name="console"),
    path("x/<str:code>/console/do/", console.console_command, name="console_command"),
    path("x/<str:code>/console/as/", console.console_as, name="console_as_chosen"),  # ?role= from the picker
    path("x/<str:code>/console/as/<str:role>/", console.console_as, name="console_as"),
    path("x/<str:code>/console/joining/", console.join_lock, name="join_lock"),
    path("w/<str:code>/console/", workshop.workshop_console, name="workshop_console"),
    path("w/<str:code>/console/do/", workshop.workshop_command, name="workshop_command"),
    path("facilitator/", console.facilitator_home, name="facilitator_home"),
    path("facilitator/new/", console.create, name="create"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("lang/", players.switch_language, name="switch_language"),
]
