from rest_framework.response import Response
from rest_framework.views import APIView


class Me(APIView):
    def get(self, request):
        user = request.user
        groups = sorted(user.groups.values_list("name", flat=True))
        return Response({"pk": user.pk, "username": user.username, "email": user.email, "groups": groups})
