from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class Me(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        # request.user is simplejwt's TokenUser: no database query, the claims of the token.
        return Response({"user_id": str(request.user.id), "is_staff": request.user.is_staff})


class StaffOnly(APIView):
    permission_classes = [IsAdminUser]

    def get(self, request):
        return Response({"staff": True})
