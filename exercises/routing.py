from django.urls import path

from .consumers import ExerciseConsumer

websocket_urlpatterns = [
    path("ws/exercise/<str:code>/", ExerciseConsumer.as_asgi(), {"mode": "play"}),
    path("ws/exercise/<str:code>/console/", ExerciseConsumer.as_asgi(), {"mode": "console"}),
    path("ws/exercise/<str:code>/projector/", ExerciseConsumer.as_asgi(), {"mode": "projector"}),
]
