"""What-if pages (fork here, counterfactual runs, branches compared), included at ``whatif/``."""

from django.urls import path

from . import whatif_views as views

app_name = "whatif"

urlpatterns = [
    path("compare/", views.compare, name="compare"),
    path("<str:code>/fork/", views.fork, name="fork"),
    path("<str:code>/counterfactual/", views.counterfactual, name="counterfactual"),
    path("<str:code>/counterfactual/<uuid:job>/", views.run, name="run"),
    path("<str:code>/compare/", views.compare_family, name="compare_family"),
]
