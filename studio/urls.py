from django.urls import path

from . import views

app_name = "studio"

urlpatterns = [
    path("", views.library, name="library"),
    path("import/", views.import_scenario, name="import"),
    path("diff/", views.diff, name="diff"),
    path("s/<slug:slug>/", views.scenario, name="scenario"),
    path("s/<slug:slug>/copy/", views.copy, name="copy"),
    path("s/<slug:slug>/archive/", views.archive, name="archive"),
    path("s/<slug:slug>/msel/", views.msel_import, name="msel_import"),
    path("s/<slug:slug>/edit/", views.edit, name="edit"),
    path("s/<slug:slug>/edit/item/", views.save_item, name="save_item"),
    path("s/<slug:slug>/edit/add/", views.add_item, name="add_item"),
    path("s/<slug:slug>/edit/remove/", views.remove_item, name="remove_item"),
    path("s/<slug:slug>/edit/cut/", views.cut, name="cut"),
    path("s/<slug:slug>/edit/yaml/", views.save_yaml, name="save_yaml"),
    path("s/<slug:slug>/edit/translations/", views.save_translations, name="save_translations"),
    path("s/<slug:slug>/draft.yaml", views.draft_yaml, name="draft_yaml"),
    path("v/<int:pk>/export/<str:fmt>/", views.export, name="export"),
    path("v/<int:pk>/preview/", views.preview_role, name="preview"),
    path("v/<int:pk>/dry-run/", views.dry_run_start, name="dry_run_start"),
    path("s/<slug:slug>/start/", views.start, name="start"),
    path("dry-run/<uuid:job>/", views.dry_run, name="dry_run"),
]
