from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("review/", include("review.urls")),
    path("whatif/", include("exercises.whatif_urls")),
    path("studio/", include("studio.urls")),
    path("jobs/", include("jobs.urls")),
    path("debrief/", include("exercises.debrief_urls")),
    path("", include("exercises.urls")),
]
