from rest_framework.response import Response
from rest_framework.views import APIView


class Me(APIView):
    def get(self, request):
        return Response({"pk": request.user.pk, "username": request.user.username, "email": request.user.email})
