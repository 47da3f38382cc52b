from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class Profile(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.username, "groups": list(request.user.cognito_groups)})

    def post(self, request):
        return Response({"saved_by": request.user.username}, status=201)


class Editors(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        if "editors" not in request.user.cognito_groups:
            return Response({"detail": "editors only"}, status=403)
        return Response({"editor": request.user.username})
