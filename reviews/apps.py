from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews, questionnaires and reminders"

    def seed_demo(self, ctx) -> None:
        from reviews.demo import seed_reviews

        seed_reviews(ctx)
