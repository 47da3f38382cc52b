from rest_framework.response import Response
from rest_framework.views import APIView


class Me(APIView):
    def get(self, request):
        return Response({"username": request.user.username})


class Editors(APIView):
    def get(self, request):
        # The claims are request.auth, a mapping, under both classes.
        if "editors" not in request.auth.get("cognito:groups", []):
            return Response({"detail": "editors only"}, status=403)
        return Response({"editor": request.user.username})
