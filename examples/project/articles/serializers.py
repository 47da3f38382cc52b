from __future__ import annotations

from rest_framework import serializers

from .models import Article


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "title", "body", "author_sub", "created"]
        read_only_fields = ["author_sub", "created"]
